// The practice player: speed, mirror, volume, loop a move, a range of moves or free A-B points,
// the 8-count and the move name in a bar under the video, an optional count-in (on Play and
// before a loop), keyboard shortcuts that reach the player once it has been used, fullscreen, and
// a signed video link renewed before (or when) it expires. Client-side only: nothing re-encoded.
// Needs player_ab.js, player_clicks.js and player_links.js first (_player_scripts.html); the page
// then calls ChoreoPlayer.show(result) with a generate response, a video detail or a shared
// choreography (each carries video_url, moves, bpm and first_beat_seconds).
"use strict";

const ChoreoPlayer = (() => {
  const SPEEDS = [0.5, 0.75, 0.9, 1, 1.25, 1.5];
  const SEEK_S = 5; // Shift+arrows
  const VOLUME_STEP = 0.1;
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
    ab: ChoreoABLoop.create(), // free A-B points, looped once both are set (a move loop ends it)
    jumping: false, // a loop jump is seeking: do not jump again before it lands
    countingIn: false,
    wraps: 0,
    clicks: 0,
    taskId: "",
    current: -2,
    frameHandle: null,
    frame: null, // one video frame's duration, measured from presented frames (requestVideoFrameCallback)
    lastFrame: null, // {mediaTime, presentedFrames} of the previous callback
  };
  const settings = loadSettings();

  function loadSettings() {
    const defaults = { speed: 1, mirror: false, countIn: false, volume: 1 };
    try {
      const saved = JSON.parse(localStorage.getItem(STORE) || "{}");
      const volume = Number(saved.volume);
      return {
        speed: SPEEDS.includes(saved.speed) ? saved.speed : defaults.speed,
        mirror: saved.mirror === true,
        countIn: saved.countIn === true,
        volume: Number.isFinite(volume) && volume >= 0 && volume <= 1 ? volume : defaults.volume,
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

  /** [start, end] of the loop playing: a move or a range of moves, else free A-B points, else null. */
  function loopBounds() {
    if (!state.loop) return state.ab.bounds();
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
    const bounds = loopBounds();
    if (!bounds || state.jumping || state.countingIn) return;
    const [start, end] = bounds;
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
    const bounds = loopBounds();
    if (!bounds) return;
    jumpTo(bounds[0]);
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

  /** Play (after the count-in when it is on) or pause; a press during the count-in stops it. */
  function togglePlay() {
    if (state.countingIn) state.countInStopped = true;
    else if (!video.paused) video.pause();
    else if (settings.countIn) countIn().then((done) => { if (done) video.play().catch(() => {}); });
    else video.play().catch(() => {});
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

  function setVolume(volume) {
    settings.volume = Math.round(Math.min(1, Math.max(0, volume)) * 100) / 100;
    saveSettings();
    video.volume = settings.volume;
    if (settings.volume > 0 && video.muted) video.muted = false;
  }

  function showVolume() {
    byId("mute").setAttribute("aria-pressed", String(video.muted));
    const slider = byId("volume");
    if (document.activeElement !== slider) slider.value = String(video.volume);
    slider.setAttribute("aria-valuetext", video.muted ? "muted" : `${Math.round(video.volume * 100)} %`);
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
    if (links.swapAt !== null) links.swapAt = t;
    video.currentTime = t;
  }

  /** Back or forward by seconds, inside the video. */
  function seekBy(seconds) {
    const end = video.duration || 0;
    seek(Math.min(Math.max(0, video.currentTime + seconds), Math.max(0, end - EPS)));
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
    const { a, b } = state.ab.points;
    byId("ab-a").textContent = a === null ? "–" : clockTenths(a);
    byId("ab-b").textContent = b === null ? "–" : clockTenths(b);
    const ab = state.ab.bounds();
    byId("ab-loop").dataset.active = String(!looping && ab !== null);
    let words = "";
    if (looping) {
      const { from, to } = state.loop;
      const names = from === to ? state.moves[from].label : `${state.moves[from].label} to ${state.moves[to].label}`;
      words = `Looping ${names}. Shift-click another move to extend the loop.`;
    } else if (ab) {
      words = `Looping from A ${clockTenths(ab[0])} to B ${clockTenths(ab[1])}.`;
    } else if (a !== null || b !== null) {
      words = `A-B loop: set ${a === null ? "A" : "B"} to start looping.`;
    }
    byId("loop-status").textContent = words;
  }

  const clockTenths = (s) => `${clock(s)}.${Math.floor((s % 1) * 10)}`;

  function clearLoop() {
    state.loop = null;
    showLoop();
  }

  /** Start the loop [start, end]: after the count-in when it is on, else from its start when the
   * time is outside it. */
  function startLoop([start, end]) {
    const t = video.currentTime;
    if (settings.countIn) {
      video.pause();
      video.currentTime = start + EPS;
      countIn().then((done) => { if (done) video.play().catch(() => {}); });
    } else if (t < start - EPS || t >= end) {
      video.currentTime = start + EPS;
    }
  }

  function setLoop(from, to) {
    state.loop = { from: Math.min(from, to), to: Math.max(from, to) };
    state.ab.clear();
    showLoop();
    startLoop(loopBounds());
  }

  /** Set point ``which`` ("a" or "b") of the free loop at the current time. */
  function setPoint(which) {
    state.loop = null;
    state.ab.set(which, video.currentTime, video.duration || 0);
    showLoop();
    const bounds = state.ab.bounds();
    if (bounds && which === "b") startLoop(bounds);
  }

  function nudgePoint(which, sign) {
    state.ab.nudge(which, sign, video.duration || 0);
    showLoop();
  }

  function clearPoints() {
    state.ab.clear();
    showLoop();
  }

  function toggleLoop() {
    if (state.loop) clearLoop();
    else if (state.moves.length) {
      const i = Math.max(0, moveAt(video.currentTime));
      setLoop(i, i);
    }
  }

  /** Four clicks on the song's beat (at the chosen speed), shown as 5 6 7 8 in the bar; true when
   * it ran to its end (Play pressed again stops it). */
  async function countIn() {
    const beat = 60 / state.bpm / settings.speed;
    state.countingIn = true;
    state.countInStopped = false;
    countEl.dataset.phase = "count-in";
    try {
      state.clicks += await ChoreoClicks.play(4, beat);
      for (let i = 0; i < 4 && !state.countInStopped; i += 1) {
        countEl.textContent = String(5 + i);
        await new Promise((resolve) => setTimeout(resolve, beat * 1000));
      }
      return !state.countInStopped;
    } finally {
      state.countingIn = false;
      countEl.dataset.phase = "beat";
      render(video.currentTime);
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
    "Shift+ArrowLeft": () => seekBy(-SEEK_S),
    "Shift+ArrowRight": () => seekBy(SEEK_S),
    ArrowUp: () => setVolume(video.volume + VOLUME_STEP),
    ArrowDown: () => setVolume(video.volume - VOLUME_STEP),
    "[": () => stepSpeed(-1),
    "]": () => stepSpeed(1),
    m: toggleMirror,
    l: toggleLoop,
    v: toggleMute,
    a: () => setPoint("a"),
    b: () => setPoint("b"),
    x: clearPoints,
    f: toggleFullscreen,
    "?": openHelp,
  };

  document.addEventListener("keydown", (event) => {
    if (box.closest("[hidden]") || event.ctrlKey || event.metaKey || event.altKey) return;
    if (byId("player-help").open) return; // the dialog has the keyboard; Escape closes it
    const target = event.target instanceof Element ? event.target : document.body;
    if (target.closest("input, select, textarea, [contenteditable]")) return; // typing, not a shortcut
    const inPlayer = box.contains(target) || timeline.contains(target) || target === document.body;
    if (event.key === " " && !inPlayer && target.closest("button, a, summary")) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const action = (event.shiftKey && KEYS[`Shift+${key}`]) || KEYS[event.key] || KEYS[key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  // Once a control of the player is used with the mouse or a finger, the keyboard goes back to
  // the player: Space and the arrows then play, seek and step, never open a dropdown or move a
  // slider. (Used from the keyboard, a control keeps the focus, as it should.)
  let pointerUsed = false;
  box.addEventListener("pointerdown", () => { pointerUsed = true; }, true);
  box.addEventListener("keydown", () => { pointerUsed = false; }, true);
  function giveFocusBack() {
    if (pointerUsed) box.focus({ preventScroll: true });
  }
  for (const id of ["speed", "volume", "position"]) byId(id).addEventListener("change", giveFocusBack);

  byId("play").addEventListener("click", togglePlay);
  byId("prev-move").addEventListener("click", () => stepMove(-1));
  byId("next-move").addEventListener("click", () => stepMove(1));
  byId("speed").addEventListener("change", (event) => setSpeed(Number(event.target.value)));
  byId("volume").addEventListener("input", (event) => setVolume(Number(event.target.value)));
  byId("ab-set-a").addEventListener("click", () => setPoint("a"));
  byId("ab-set-b").addEventListener("click", () => setPoint("b"));
  byId("ab-a-back").addEventListener("click", () => nudgePoint("a", -1));
  byId("ab-a-forward").addEventListener("click", () => nudgePoint("a", 1));
  byId("ab-b-back").addEventListener("click", () => nudgePoint("b", -1));
  byId("ab-b-forward").addEventListener("click", () => nudgePoint("b", 1));
  byId("ab-clear").addEventListener("click", clearPoints);
  byId("mirror").addEventListener("click", toggleMirror);
  byId("loop").addEventListener("click", toggleLoop);
  byId("count-in").addEventListener("click", toggleCountIn);
  byId("fullscreen").addEventListener("click", toggleFullscreen);
  byId("mute").addEventListener("click", toggleMute);
  video.addEventListener("volumechange", showVolume);
  byId("help-open").addEventListener("click", openHelp);
  byId("help-close").addEventListener("click", () => byId("player-help").close());
  byId("position").addEventListener("input", (event) => seek(Number(event.target.value)));
  video.addEventListener("click", togglePlay);
  timeline.addEventListener("click", onTimelineClick);

  // --- the signed link: renewed before it expires, or when the video fails to load -------

  const links = ChoreoVideoLinks.create(video, {
    taskId: () => state.taskId,
    onFailed: () => { byId("loop-status").textContent = "The video link expired and could not be renewed: reload the page."; },
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
    state.frame = null;
    state.lastFrame = null;
    state.loop = null;
    state.ab.clear();
    if (result.poster_url) video.poster = result.poster_url;
    else video.removeAttribute("poster");
    video.src = result.video_url;
    renderTimeline();
    showLoop();
    render(0);
    links.reset(result.video_url_expires_at);
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
  video.volume = settings.volume;
  showVolume();
  showPlaying();

  return { show, renew: links.renew, links, countAt, state, settings, focus: () => byId("play").focus({ preventScroll: true }) };
})();
