// choreo page: plain JavaScript, no build step. Reads the generate POST's Server-Sent Events
// with fetch() streaming (EventSource cannot POST), so progress arrives on the same request.
"use strict";

const options = JSON.parse(document.getElementById("page-options").textContent);
const $ = (id) => document.getElementById(id);

const STAGE_WORDS = {
  queued: "waiting for a free slot",
  validation: "checking your request",
  planning: "planning the moves",
  retiming: "matching the moves to the song's tempo",
  lookup: "finding the song",
  fetching: "fetching the clips",
  concatenating: "joining the clips",
  adding_audio: "adding the song",
  uploading: "saving the video",
  cleanup: "tidying up",
  completed: "done",
  authentication: "checking who you are",
  admission: "waiting for a free slot",
};
const words = (stage) => STAGE_WORDS[stage] || stage || "working";

function fillSelect(select, values, chosen) {
  for (const value of values) {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = value;
    if (value === chosen) option.selected = true;
    select.appendChild(option);
  }
}
fillSelect($("difficulty"), options.difficulties, options.defaults.difficulty);
fillSelect($("energy_level"), options.energy_levels, options.defaults.energy_level);
fillSelect($("style"), options.styles, options.defaults.style || null);

const clock = (s) => `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, "0")}`;
for (const cell of document.querySelectorAll("td.length")) cell.textContent = clock(Number(cell.dataset.seconds));

// The song list: search (debounced), genre and BPM filters, sorting and pages, from /api/songs/.
// The chosen song is remembered across pages and searches, so it need not stay on screen.
const songs = { page: 1, pageSize: options.song_page_size || 20, timer: null, request: null, chosen: null };
{
  const first = document.querySelector("input[name=song]:checked");
  if (first) songs.chosen = { id: Number(first.value), title: first.closest("tr").querySelector("label").textContent };
}

function songParams() {
  const params = new URLSearchParams({ page: String(songs.page), page_size: String(songs.pageSize) });
  const q = $("song-q").value.trim();
  if (q) params.set("q", q);
  if ($("song-genre").value) params.set("genre", $("song-genre").value);
  for (const [id, name] of [["song-bpm-min", "bpm_min"], ["song-bpm-max", "bpm_max"]]) {
    const value = $(id).value;
    if (value !== "" && Number(value) > 0) params.set(name, value);
  }
  params.set("ordering", $("song-ordering").value);
  return params;
}

function songRow(song) {
  const row = document.createElement("tr");
  const cell = (content) => { const td = document.createElement("td"); if (content !== undefined) td.append(content); row.appendChild(td); return td; };
  const radio = document.createElement("input");
  radio.type = "radio";
  radio.name = "song";
  radio.id = `song-${song.id}`;
  radio.value = String(song.id);
  radio.checked = songs.chosen !== null && songs.chosen.id === song.id;
  cell(radio);
  const label = document.createElement("label");
  label.htmlFor = radio.id;
  label.textContent = song.title;
  cell(label);
  cell(song.artist);
  cell(song.genre);
  cell(String(Math.round(song.bpm)));
  cell(clock(song.duration_seconds)).className = "length";
  const play = document.createElement("button");
  play.type = "button";
  play.className = "preview";
  play.dataset.song = String(song.id);
  play.textContent = "▶ Play";
  play.setAttribute("aria-label", `Play a preview of ${song.title}`);
  cell(play);
  return row;
}

async function loadSongs() {
  if (songs.request) songs.request.abort();
  const request = new AbortController();
  songs.request = request;
  $("song-status").textContent = "Loading songs…";
  try {
    const response = await fetch(`/api/songs/?${songParams()}`, { credentials: "same-origin", signal: request.signal });
    const page = await response.json();
    if (!response.ok) { $("song-status").textContent = `These filters do not work: ${page.error || response.status}`; return; }
    const lastPage = Math.max(1, Math.ceil(page.total / page.page_size));
    if (page.total && !page.items.length && songs.page > lastPage) { songs.page = lastPage; loadSongs(); return; }
    const rows = $("song-rows");
    rows.replaceChildren(...page.items.map(songRow));
    if (!page.items.length) {
      const row = document.createElement("tr");
      row.innerHTML = '<td colspan="7">No song matches.</td>';
      rows.appendChild(row);
    }
    $("song-status").textContent = `${page.total} song${page.total === 1 ? "" : "s"}`;
    $("song-page").textContent = `page ${page.page} of ${lastPage}`;
    $("song-prev").disabled = page.page <= 1;
    $("song-next").disabled = !page.has_next;
  } catch (error) {
    if (error.name !== "AbortError") $("song-status").textContent = "The songs could not be loaded.";
  } finally {
    if (songs.request === request) songs.request = null;
  }
}

function refreshSongs({ debounce = false } = {}) {
  songs.page = 1;
  clearTimeout(songs.timer);
  if (debounce) songs.timer = setTimeout(loadSongs, 250);
  else loadSongs();
}

$("song-filters").addEventListener("submit", (event) => { event.preventDefault(); refreshSongs(); });
$("song-q").addEventListener("input", () => refreshSongs({ debounce: true }));
for (const id of ["song-bpm-min", "song-bpm-max"]) $(id).addEventListener("input", () => refreshSongs({ debounce: true }));
for (const id of ["song-genre", "song-ordering"]) $(id).addEventListener("change", () => refreshSongs());
$("song-prev").addEventListener("click", () => { if (songs.page > 1) { songs.page -= 1; loadSongs(); } });
$("song-next").addEventListener("click", () => { songs.page += 1; loadSongs(); });
$("song-rows").addEventListener("change", (event) => {
  const radio = event.target;
  if (radio.name !== "song") return;
  songs.chosen = { id: Number(radio.value), title: radio.closest("tr").querySelector("label").textContent };
  $("song-chosen").textContent = songs.chosen.title;
});

const preview = $("preview-player");
$("song-rows").addEventListener("click", (event) => {
  const button = event.target.closest("button.preview");
  if (!button) return;
  const playing = !preview.paused && preview.dataset.song === button.dataset.song;
  for (const other of document.querySelectorAll("button.preview")) other.textContent = "▶ Play";
  if (playing) { preview.pause(); return; }
  preview.src = `/songs/${encodeURIComponent(button.dataset.song)}/preview/`;
  preview.dataset.song = button.dataset.song;
  preview.play().then(() => { button.textContent = "❚❚ Stop"; }).catch(() => {});
});

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function describeError(body, fallbackStage) {
  const stage = body.stage || fallbackStage;
  const message = String(body.error || "something went wrong");
  if (/timed out/i.test(message)) return `The assembly timed out while ${words(stage)}.`;
  return `${message.charAt(0).toUpperCase()}${message.slice(1)} (while ${words(stage)}).`;
}

function showError(text) {
  $("error").textContent = text;
  $("error").hidden = false;
}

let controller = null;
let timer = null;

function setBusy(busy) {
  $("generate").disabled = busy;
  $("cancel").hidden = !busy;
  if (busy) $("cancel").focus();
}

function showProgress(stage, percent) {
  $("progress-section").hidden = false;
  $("progress").value = percent;
  $("percent").textContent = String(percent);
  $("stage").textContent = words(stage);
  $("stage").dataset.stage = stage;
}

async function* sseEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trim());
      }
      if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
    }
  }
}

async function generate(event) {
  event.preventDefault();
  const checked = document.querySelector("input[name=song]:checked");
  const songId = checked ? Number(checked.value) : songs.chosen && songs.chosen.id;
  if (!songId) { showError("Pick a song first."); return; }
  const body = {
    song_id: songId,
    difficulty: $("difficulty").value,
    energy_level: $("energy_level").value,
  };
  if ($("style").value) body.style = $("style").value;
  if ($("seed").value !== "") body.seed = Number($("seed").value);
  if ($("allow_repeats").checked) body.allow_repeats = true;
  // A studio's dancers choose the library (studio_library.js adds the field): "studio:ID", "both:ID".
  if ($("library") && $("library").value !== "public") {
    const [library, studioId] = $("library").value.split(":");
    body.library = library;
    body.studio_id = Number(studioId);
  }
  // Part of the song: a length from the first phrase, or from/to (the server snaps to phrases).
  if ($("duration_seconds").value !== "") body.duration_seconds = Number($("duration_seconds").value);
  else {
    if ($("start_seconds").value !== "") body.start_seconds = Number($("start_seconds").value);
    if ($("end_seconds").value !== "") body.end_seconds = Number($("end_seconds").value);
  }

  $("error").hidden = true;
  $("notice").hidden = true;
  $("result").hidden = true;
  showProgress("queued", 0);
  setBusy(true);
  const started = performance.now();
  timer = setInterval(() => { $("elapsed").textContent = ((performance.now() - started) / 1000).toFixed(1); }, 100);
  controller = new AbortController();
  let lastStage = "queued";
  let taskId = "";
  const shown = { song: songs.chosen && songs.chosen.id === songId ? songs.chosen.title : "", params: body };
  try {
    const response = await fetch("/api/choreography/generate/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    const type = response.headers.get("Content-Type") || "";
    if (!type.startsWith("text/event-stream")) {
      const payload = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
      if (!response.ok) { showError(describeError(payload, lastStage)); return; }
      showResult(payload, shown);
      return;
    }
    for await (const { event: name, data } of sseEvents(response)) {
      if (name === "progress") { lastStage = data.stage; taskId = data.task_id || taskId; showProgress(data.stage, data.progress); }
      else if (name === "completed") { showProgress("completed", 100); showResult(data, shown); }
      else if (name === "error") { showError(describeError(data, lastStage)); }
    }
  } catch (error) {
    if (error.name !== "AbortError") showError(`The connection failed while ${words(lastStage)}. Please try again.`);
    else if (!(await showIfFinished(taskId))) showError("Cancelled: the server stopped making this video.");
  } finally {
    clearInterval(timer);
    controller = null;
    setBusy(false);
    if ($("result").hidden) $("generate").focus();
    else ChoreoPlayer.focus();
  }
}

/** A Cancel that reached the server after it finished: say so and show the video it made. */
async function showIfFinished(taskId) {
  if (!taskId) return false;
  // The history lists completed videos only (newest first), and asking it logs no 404.
  const response = await fetch("/api/choreography/videos/?page_size=5", { credentials: "same-origin" }).catch(() => null);
  if (!response || !response.ok) return false;
  const listed = (await response.json()).items.find((item) => item.task_id === taskId);
  if (!listed) return false;
  const detail = await fetch(`/api/choreography/videos/${encodeURIComponent(taskId)}/`, { credentials: "same-origin" });
  if (!detail.ok) return false;
  const video = await detail.json();
  showNotice("The video was already finished when you pressed Cancel, so here it is.");
  showVideo(video);
  return true;
}

function showNotice(text) {
  $("notice").textContent = text;
  $("notice").hidden = false;
}

const FILTER_WORDS = { energy_level: "energy", style: "style", difficulty: "level" };

/** In words, which of the dancer's filters the planner widened (its relaxed_filters). */
function relaxedSentence(relaxed, params) {
  if (!relaxed || !relaxed.length) return "";
  const asked = [params.style, params.energy_level && `${params.energy_level}-energy`, params.difficulty]
    .filter(Boolean).join(" ");
  const widened = relaxed.map((name) => FILTER_WORDS[name] || String(name).replace(/_/g, " "));
  return `Too few ${asked} moves fit this song's tempo in the library: ${listInWords(widened)} ${widened.length === 1 ? "was" : "were"} widened, so some moves differ from what you asked.`;
}

/** "a", "a and b", "a, b and c". */
function listInWords(items) {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** In words, which moves are danced off the song's beat (its off_tempo_moves) and by how much. */
function offTempoSentence(offTempo, moves) {
  if (!offTempo || !offTempo.length) return "";
  const off = (moves || []).filter((move) => offTempo.includes(move.name));
  const labels = [...new Set(off.map((move) => move.label || move.name))];
  const worst = Math.max(0, ...off.map((move) => Number(move.tempo_error_percent) || 0));
  const one = labels.length === 1;
  return `Off the beat: ${listInWords(labels)} ${one ? "was" : "were"} filmed too far from this song's tempo to be sped up or slowed down to it, and no other move fitted, so ${one ? "it is" : "they are"} danced up to ${worst.toFixed(1)} % off the song's tempo.`;
}

/** The finished video in the player; ``shown`` says what was asked: {song title, params}. */
function showResult(result, shown) {
  ChoreoPlayer.show(result);
  // The server names the file after the song and parameters (Content-Disposition), which also
  // holds on S3, where a cross-origin link's download attribute is ignored.
  $("download").href = result.download_url || result.video_url;
  $("result-seed").textContent = String(result.seed ?? "");
  const section = result.section;
  $("result-section").textContent = section ? ` · part of the song: ${clock(section.start_seconds)}–${clock(section.end_seconds)}` : "";
  $("result-section").hidden = !section;
  $("result").dataset.taskId = result.task_id || "";
  const relaxed = relaxedSentence(result.relaxed_filters, shown.params);
  $("relaxed").textContent = relaxed;
  $("relaxed").hidden = !relaxed;
  const offTempo = offTempoSentence(result.off_tempo_moves, result.moves);
  $("off-tempo").textContent = offTempo;
  $("off-tempo").hidden = !offTempo;
  document.dispatchEvent(new CustomEvent("choreo:result", { detail: result }));
  $("result").hidden = false;
  const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  $("result").scrollIntoView({ behavior: still ? "auto" : "smooth", block: "start" });
}

/** A video detail (history, saved, or finished despite a Cancel) in the player. */
function showVideo(video) {
  const params = video.parameters || {};
  showResult({ ...video, seed: params.seed ?? "" }, { song: video.song ? video.song.title : "", params });
}

document.addEventListener("choreo:renewed", (event) => {
  $("download").href = event.detail.download_url || event.detail.video_url;
});

/** Shows one of the dancer's videos in the player (the lists of collections.js show their own
 * errors inside their items; this one is for a video that is not in a list). */
async function watch(taskId) {
  const response = await fetch(`/api/choreography/videos/${encodeURIComponent(taskId)}/`, { credentials: "same-origin" });
  if (!response.ok) { showError("This video could not be loaded."); return; }
  showVideo(await response.json());
  ChoreoPlayer.focus();
}

// The lists of what was made (saved, unsaved, every attempt) are collections.js's: it listens
// to "choreo:result" and reloads them all.

$("generate-form").addEventListener("submit", generate);
// The page renders before this script runs: until now a click would have submitted the form as
// a plain page load, losing the dancer's choices. The button is served disabled for that reason.
$("generate").disabled = false;
$("cancel").addEventListener("click", () => { if (controller) controller.abort(); });
