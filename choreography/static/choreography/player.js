// The practice player: speed, mirror, loop a move or a range of moves, the 8-count and the move
// name over the video, an optional count-in, keyboard shortcuts, fullscreen, and a signed video
// link renewed before (or when) it expires. Client-side only: nothing is re-encoded.
// Loaded before app.js, which calls ChoreoPlayer.show(result) with a generate response or a
// video detail (both carry video_url, moves, bpm and first_beat_seconds).
"use strict";

const ChoreoPlayer = (() => {
  const SPEEDS = [0.5, 0.75, 0.9, 1, 1.25, 1.5];
  const STORE = "choreo.player";
  const BEATS_PER_PHRASE = 8;
  const EPS = 1e-3; // seconds: a seek lands this far inside a move, never on the frame before it
  const byId = (id) => document.getElementById(id);
  const video = byId("player");
  const box = byId("player-box");
  const timeline = byId("timeline");
  const countEl = byId("count");
  const nameEl = byId("move-name");

  const state = {
    moves: [],
    bpm: 120,
    firstBeat: 0,
    loop: null, // {from, to}: indexes of the first and last looped move
    jumping: false, // a loop jump is seeking: do not jump again before it lands
    countingIn: false,
    wraps: 0,
    clicks: 0,
    taskId: "",
    renewTimer: null,
    renewing: null,
    renewedAt: 0,
    renewedUrl: "",
    current: -2,
    frameHandle: null,
    swapAt: null, // while a renewed link loads: where to resume
    frame: null, // one video frame's duration, measured from presented frames (requestVideoFrameCallback)
    lastFrame: null, // {mediaTime, presentedFrames} of the previous callback
  };
  const settings = loadSettings();

  function loadSettings() {
    const defaults = { speed: 1, mirror: false, countIn: false };
    try {
      const saved = JSON.parse(localStorage.getItem(STORE) || "{}");
      return {
        speed: SPEEDS.includes(saved.speed) ? saved.speed : defaults.speed,
        mirror: saved.mirror === true,
        countIn: saved.countIn === true,
      };
    } catch {
      return defaults;
    }
  }

  function saveSettings() {
    try { localStorage.setItem(STORE, JSON.stringify(settings)); } catch { /* private mode: not remembered */ }
  }

  const clock = (s) => {
    const whole = Math.max(0, Math.floor(s));
    return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
  };

  // --- where we are: count, move ---------------------------------------------------------

  /** The count 1-8 at media time t, or null before the first downbeat (the intro). */
  function countAt(t) {
    if (t < state.firstBeat - EPS) return null;
    const beat = Math.floor(((t - state.firstBeat) * state.bpm) / 60 + 1e-6);
    return (beat % BEATS_PER_PHRASE) + 1;
  }

  const moveEnd = (move) => move.start_time + move.duration;

  /** Index of the move playing at t (the last one past the end), -1 with no moves. */
  function moveAt(t) {
    const moves = state.moves;
    for (let i = 0; i < moves.length; i += 1) if (t < moveEnd(moves[i]) - 1e-6) return i;
    return moves.length - 1;
  }

  function loopBounds() {
    const { from, to } = state.loop;
    return [state.moves[from].start_time, moveEnd(state.moves[to])];
  }

  function render(t) {
    if (!state.countingIn) {
      const count = countAt(t);
      countEl.textContent = count === null ? "–" : String(count);
      countEl.dataset.phase = count === null ? "intro" : "beat";
    }
    const index = moveAt(t);
    if (index !== state.current) {
      state.current = index;
      nameEl.textContent = index >= 0 ? state.moves[index].label : "";
      timeline.querySelectorAll("button").forEach((button, i) => {
        button.setAttribute("aria-current", i === index ? "true" : "false");
      });
    }
    const position = byId("position");
    if (document.activeElement !== position) position.value = String(t);
    byId("time").textContent = `${clock(t)} / ${clock(video.duration || 0)}`;
  }

  /** Jump back once the frame on screen is the loop's last (``ahead`` = one frame, so the seek
   * overlaps that frame's display), or anything past the end. */
  function enforceLoop(t, ahead = 0) {
    if (!state.loop || state.jumping || state.countingIn) return;
    const [start, end] = loopBounds();
    if (t + ahead >= end - EPS) jumpTo(start);
  }

  function jumpTo(start) {
    state.jumping = true;
    state.wraps += 1;
    video.currentTime = start + EPS;
  }

  function tick(t, ahead = 0) {
    render(t);
    enforceLoop(t, ahead);
  }

  // Every presented frame (requestVideoFrameCallback), else every animation frame while playing.
  const hasFrameCallback = "requestVideoFrameCallback" in HTMLVideoElement.prototype;
  function onFrame(_now, metadata) {
    state.frameHandle = video.requestVideoFrameCallback(onFrame);
    const last = state.lastFrame;
    if (last && metadata.presentedFrames === last.presentedFrames + 1) {
      const step = metadata.mediaTime - last.mediaTime;
      if (step > 1 / 121 && (state.frame === null || step < state.frame)) state.frame = step; // the shortest step is one frame
    }
    state.lastFrame = { mediaTime: metadata.mediaTime, presentedFrames: metadata.presentedFrames };
    tick(metadata.mediaTime, video.paused ? 0 : state.frame || 0);
  }
  function armFrames() {
    if (!hasFrameCallback) return;
    if (state.frameHandle !== null) video.cancelVideoFrameCallback(state.frameHandle);
    state.frameHandle = video.requestVideoFrameCallback(onFrame);
  }
  function animate() {
    if (video.paused) return;
    tick(video.currentTime);
    requestAnimationFrame(animate);
  }

  video.addEventListener("play", () => { if (!hasFrameCallback) requestAnimationFrame(animate); });
  video.addEventListener("timeupdate", () => tick(video.currentTime)); // a backstop: background tabs
  video.addEventListener("seeked", () => { state.jumping = false; tick(video.currentTime); });
  video.addEventListener("loadeddata", armFrames);
  video.addEventListener("loadedmetadata", () => {
    byId("position").max = String(video.duration || 0);
    applySpeed();
    render(video.currentTime);
  });
  video.addEventListener("ended", () => {
    if (!state.loop) return;
    jumpTo(loopBounds()[0]);
    video.play().catch(() => {});
  });
  for (const name of ["play", "pause"]) video.addEventListener(name, showPlaying);

  // --- controls --------------------------------------------------------------------------

  function showPlaying() {
    const button = byId("play");
    const playing = !video.paused;
    button.querySelector(".icon").textContent = playing ? "❚❚" : "▶";
    button.querySelector(".word").textContent = playing ? "Pause" : "Play";
  }

  function togglePlay() {
    if (video.paused) video.play().catch(() => {});
    else video.pause();
  }

  function applySpeed() {
    video.defaultPlaybackRate = settings.speed;
    video.playbackRate = settings.speed;
    video.preservesPitch = true;
    byId("speed").value = String(settings.speed);
  }

  function setSpeed(speed) {
    settings.speed = speed;
    saveSettings();
    applySpeed();
  }

  function stepSpeed(step) {
    const i = SPEEDS.indexOf(settings.speed);
    setSpeed(SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, (i < 0 ? 3 : i) + step))]);
  }

  function applyMirror() {
    video.classList.toggle("mirrored", settings.mirror);
    byId("mirror").setAttribute("aria-pressed", String(settings.mirror));
  }

  function toggleMirror() {
    settings.mirror = !settings.mirror;
    saveSettings();
    applyMirror();
  }

  /** The player has its own controls (the browser's would flip with Mirror): sound on/off too. */
  function toggleMute() {
    video.muted = !video.muted;
  }

  function applyCountIn() {
    byId("count-in").setAttribute("aria-pressed", String(settings.countIn));
  }

  function toggleCountIn() {
    settings.countIn = !settings.countIn;
    saveSettings();
    applyCountIn();
  }

  /** Seek to t; a seek outside the loop ends the loop (the dancer went elsewhere). */
  function seek(t) {
    if (state.loop) {
      const [start, end] = loopBounds();
      if (t < start - EPS || t >= end) clearLoop();
    }
    if (state.swapAt !== null) state.swapAt = t;
    video.currentTime = t;
  }

  function goToMove(index) {
    if (!state.moves.length) return;
    const i = Math.min(state.moves.length - 1, Math.max(0, index));
    seek(state.moves[i].start_time + EPS);
  }

  function stepMove(step) {
    goToMove(moveAt(video.currentTime) + step);
  }

  function showLoop() {
    const looping = state.loop !== null;
    byId("loop").setAttribute("aria-pressed", String(looping));
    timeline.querySelectorAll("button").forEach((button, i) => {
      const inside = looping && i >= state.loop.from && i <= state.loop.to;
      button.classList.toggle("in-loop", inside);
      if (inside) button.dataset.loop = "true";
      else delete button.dataset.loop;
    });
    let words = "";
    if (looping) {
      const { from, to } = state.loop;
      const names = from === to ? state.moves[from].label : `${state.moves[from].label} to ${state.moves[to].label}`;
      words = `Looping ${names}. Shift-click another move to extend the loop.`;
    }
    byId("loop-status").textContent = words;
  }

  function clearLoop() {
    state.loop = null;
    showLoop();
  }

  function setLoop(from, to) {
    state.loop = { from: Math.min(from, to), to: Math.max(from, to) };
    showLoop();
    const [start, end] = loopBounds();
    const t = video.currentTime;
    if (settings.countIn) {
      video.pause();
      video.currentTime = start + EPS;
      countIn().then(() => video.play().catch(() => {}));
    } else if (t < start - EPS || t >= end) {
      video.currentTime = start + EPS;
    }
  }

  function toggleLoop() {
    if (state.loop) clearLoop();
    else if (state.moves.length) {
      const i = Math.max(0, moveAt(video.currentTime));
      setLoop(i, i);
    }
  }

  /** Four clicks on the song's beat (at the chosen speed), shown as 5 6 7 8 over the video. */
  async function countIn() {
    const Context = window.AudioContext || window.webkitAudioContext;
    const beat = 60 / state.bpm / settings.speed;
    state.countingIn = true;
    countEl.dataset.phase = "count-in";
    try {
      let audio = null;
      if (Context) {
        state.audio = state.audio || new Context();
        audio = state.audio;
        await audio.resume().catch(() => {});
        const t0 = audio.currentTime + 0.05;
        for (let i = 0; i < 4; i += 1) {
          const oscillator = audio.createOscillator();
          const gain = audio.createGain();
          oscillator.frequency.value = i === 0 ? 1600 : 1100;
          gain.gain.setValueAtTime(0.6, t0 + i * beat);
          gain.gain.exponentialRampToValueAtTime(0.001, t0 + i * beat + 0.06);
          oscillator.connect(gain).connect(audio.destination);
          oscillator.start(t0 + i * beat);
          oscillator.stop(t0 + i * beat + 0.07);
          state.clicks += 1;
        }
      }
      for (let i = 0; i < 4; i += 1) {
        countEl.textContent = String(5 + i);
        await new Promise((resolve) => setTimeout(resolve, beat * 1000));
      }
    } finally {
      state.countingIn = false;
      countEl.dataset.phase = "beat";
    }
  }

  function onTimelineClick(event) {
    const button = event.target.closest("button");
    if (!button) return;
    const i = Number(button.dataset.index);
    if (state.loop && (event.shiftKey || i < state.loop.from || i > state.loop.to)) {
      setLoop(Math.min(state.loop.from, i), Math.max(state.loop.to, i));
    } else if (!state.loop && event.shiftKey) {
      setLoop(Math.max(0, moveAt(video.currentTime)), i);
    } else {
      goToMove(i);
    }
  }

  function isFullscreen() {
    return (document.fullscreenElement || document.webkitFullscreenElement) === box;
  }

  function toggleFullscreen() {
    if (isFullscreen()) (document.exitFullscreen || document.webkitExitFullscreen).call(document);
    else {
      const request = box.requestFullscreen || box.webkitRequestFullscreen;
      Promise.resolve(request.call(box)).catch(() => {});
    }
  }

  document.addEventListener("fullscreenchange", () => {
    byId("fullscreen").setAttribute("aria-pressed", String(isFullscreen()));
  });

  function openHelp() {
    const help = byId("player-help");
    if (!help.open) help.showModal();
  }

  const KEYS = {
    " ": togglePlay,
    ArrowLeft: () => stepMove(-1),
    ArrowRight: () => stepMove(1),
    "[": () => stepSpeed(-1),
    "]": () => stepSpeed(1),
    m: toggleMirror,
    l: toggleLoop,
    f: toggleFullscreen,
    "?": openHelp,
  };

  document.addEventListener("keydown", (event) => {
    if (byId("result").hidden || event.ctrlKey || event.metaKey || event.altKey) return;
    if (byId("player-help").open) return; // the dialog has the keyboard; Escape closes it
    const target = event.target instanceof Element ? event.target : document.body;
    if (target.closest("input, select, textarea, [contenteditable]")) return; // typing, not a shortcut
    const inPlayer = box.contains(target) || timeline.contains(target) || target === document.body;
    if (event.key === " " && !inPlayer && target.closest("button, a, summary")) return;
    const action = KEYS[event.key] || KEYS[event.key.toLowerCase()];
    if (!action) return;
    event.preventDefault();
    action();
  });

  byId("play").addEventListener("click", togglePlay);
  byId("prev-move").addEventListener("click", () => stepMove(-1));
  byId("next-move").addEventListener("click", () => stepMove(1));
  byId("speed").addEventListener("change", (event) => setSpeed(Number(event.target.value)));
  byId("mirror").addEventListener("click", toggleMirror);
  byId("loop").addEventListener("click", toggleLoop);
  byId("count-in").addEventListener("click", toggleCountIn);
  byId("fullscreen").addEventListener("click", toggleFullscreen);
  byId("mute").addEventListener("click", toggleMute);
  video.addEventListener("volumechange", () => byId("mute").setAttribute("aria-pressed", String(video.muted)));
  byId("help-open").addEventListener("click", openHelp);
  byId("help-close").addEventListener("click", () => byId("player-help").close());
  byId("position").addEventListener("input", (event) => seek(Number(event.target.value)));
  video.addEventListener("click", togglePlay);
  timeline.addEventListener("click", onTimelineClick);

  // --- the signed link: renewed before it expires, or when the video fails to load -------

  function scheduleRenewal(expiresAt) {
    clearTimeout(state.renewTimer);
    const expires = Date.parse(expiresAt || "");
    if (!state.taskId || !Number.isFinite(expires)) return;
    const left = expires - Date.now();
    const lead = Math.min(60_000, Math.max(0, left / 4)); // a quarter of a short life, else a minute
    state.renewTimer = setTimeout(renew, Math.max(0, left - lead));
  }

  /** A fresh link from the video detail, swapped in where the dancer is, playing or not. */
  function renew() {
    if (!state.taskId || state.renewing) return state.renewing;
    state.renewing = (async () => {
      const response = await fetch(`/api/choreography/videos/${encodeURIComponent(state.taskId)}/`, {
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`the video could not be renewed (${response.status})`);
      const detail = await response.json();
      swapSource(detail.video_url);
      state.renewedAt = Date.now();
      state.renewedUrl = detail.video_url;
      scheduleRenewal(detail.video_url_expires_at);
      document.dispatchEvent(new CustomEvent("choreo:renewed", { detail }));
    })()
      .catch(() => { byId("loop-status").textContent = "The video link expired and could not be renewed: reload the page."; })
      .finally(() => { state.renewing = null; });
    return state.renewing;
  }

  function swapSource(url) {
    state.swapAt = video.currentTime; // a seek during the swap moves it (see seek)
    const wasPlaying = !video.paused && !video.ended;
    video.addEventListener(
      "loadedmetadata",
      () => {
        video.currentTime = state.swapAt;
        state.swapAt = null;
        if (wasPlaying) video.play().catch(() => {});
      },
      { once: true },
    );
    video.src = url;
  }

  video.addEventListener("error", () => {
    // An expired link answers 403; renew it, but not in a loop when a fresh link fails too.
    const freshFailed = video.currentSrc === state.renewedUrl && Date.now() - state.renewedAt < 5000;
    if (state.taskId && !freshFailed) renew();
  });

  // --- a new video -----------------------------------------------------------------------

  function renderTimeline() {
    timeline.replaceChildren();
    state.moves.forEach((move, i) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.index = String(i);
      button.dataset.start = String(move.start_time);
      button.dataset.end = String(moveEnd(move));
      const time = document.createElement("span");
      time.className = "at";
      time.textContent = clock(move.start_time);
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = move.label;
      const facts = document.createElement("span");
      facts.className = "facts";
      facts.textContent = `${move.difficulty} · ${move.style} · ${move.energy_level} energy`;
      button.append(time, " ", name, " ", facts);
      item.appendChild(button);
      timeline.appendChild(item);
    });
  }

  function show(result) {
    state.moves = Array.isArray(result.moves) ? result.moves : [];
    state.bpm = Number(result.bpm) > 0 ? Number(result.bpm) : 120;
    state.firstBeat = Number.isFinite(Number(result.first_beat_seconds)) ? Number(result.first_beat_seconds) : 0;
    state.taskId = result.task_id || "";
    state.current = -2;
    state.renewedAt = 0;
    state.renewedUrl = "";
    state.frame = null;
    state.lastFrame = null;
    state.loop = null;
    if (result.poster_url) video.poster = result.poster_url;
    else video.removeAttribute("poster");
    video.src = result.video_url;
    renderTimeline();
    showLoop();
    render(0);
    scheduleRenewal(result.video_url_expires_at);
  }

  for (const speed of SPEEDS) {
    const option = document.createElement("option");
    option.value = String(speed);
    option.textContent = `${speed}×`;
    byId("speed").appendChild(option);
  }
  applySpeed();
  applyMirror();
  applyCountIn();
  showPlaying();

  return { show, renew, countAt, state, settings, focus: () => byId("play").focus({ preventScroll: true }) };
})();
