// Free A-B loop points for the practice player: set from the current time, nudged by a second,
// kept inside the video and in order (A before B). Pure state, no DOM: player.js shows it and
// enforces the loop. Loaded before player.js.
"use strict";

const ChoreoABLoop = (() => {
  const NUDGE_S = 1;
  const MIN_LENGTH_S = 0.2; // a loop shorter than this would only stutter

  function create() {
    const points = { a: null, b: null };
    const clamp = (t, duration) => Math.min(Math.max(0, t), duration > 0 ? duration : t);

    /** Set one point; a point past the other swaps them, so A stays before B. */
    function set(which, t, duration) {
      points[which] = clamp(t, duration);
      if (points.a !== null && points.b !== null && points.b < points.a) [points.a, points.b] = [points.b, points.a];
      if (points.a !== null && points.b !== null && points.b - points.a < MIN_LENGTH_S) {
        if (which === "a") points.a = Math.max(0, points.b - MIN_LENGTH_S);
        else points.b = clamp(points.a + MIN_LENGTH_S, duration);
      }
    }

    /** Move a point by ``sign`` seconds (one NUDGE_S step); an unset point is left unset. */
    function nudge(which, sign, duration) {
      if (points[which] === null) return;
      let t = points[which] + sign * NUDGE_S;
      if (which === "a" && points.b !== null) t = Math.min(t, points.b - MIN_LENGTH_S);
      if (which === "b" && points.a !== null) t = Math.max(t, points.a + MIN_LENGTH_S);
      points[which] = clamp(t, duration);
    }

    return {
      points,
      set,
      nudge,
      clear() { points.a = null; points.b = null; },
      /** [a, b] when both are set, else null. */
      bounds: () => (points.a !== null && points.b !== null ? [points.a, points.b] : null),
    };
  }

  return { create, NUDGE_S };
})();
