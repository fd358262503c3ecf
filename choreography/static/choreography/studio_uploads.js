// The studio page's moves, for its instructor: upload videos as filmed (drag and drop or the
// file picker, several at once), follow the upload (XMLHttpRequest progress) and the analysis
// (the upload's own server-sent events), adjust the proposed cut on the poster strip and its
// beat grid, preview it, label it and save it; edit, re-cut and delete listed moves.
(function () {
  "use strict";
  const invite = document.getElementById("invite-link"); // shown once: selected to copy (no inline handler under the CSP)
  if (invite) { invite.addEventListener("focus", () => invite.select()); invite.select(); }
  const section = document.getElementById("studio-uploads");
  const studioId = section ? section.dataset.studio : null;
  const api = studioId ? `/api/studios/${studioId}/moves/` : null;

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function sentence(body) {
    const text = String((body && body.error) || "something went wrong");
    return text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? "" : ".");
  }

  async function call(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(sentence(data));
    return data;
  }

  // --- the editor of one move's cut -----------------------------------------------------------

  function editor(container, move) {
    const node = document.getElementById("move-editor").content.firstElementChild.cloneNode(true);
    const state = { start: move.start_seconds, counts: move.counts };
    const beat = move.beat_seconds;
    const phrase = 8 * beat;
    const posters = node.querySelector(".posters");
    move.posters.forEach((poster) => {
      const img = document.createElement("img");
      img.src = poster.url;
      img.alt = `frame at ${poster.seconds.toFixed(1)} s`;
      posters.append(img);
    });
    const grid = node.querySelector(".beat-grid");
    move.beats.forEach((b) => {
      const tick = document.createElement("span");
      tick.className = b.count === 1 ? "tick one" : "tick";
      tick.style.left = `${(100 * b.seconds) / move.source_seconds}%`;
      if (b.count === 1) tick.textContent = "1";
      grid.append(tick);
    });
    const windowBox = node.querySelector(".cut-window");
    const text = node.querySelector(".cut-text");
    const status = node.querySelector(".editor-status");
    const fits = (start, counts) => start >= -1e-6 && start + counts * phrase <= move.source_seconds + 0.05;
    function draw() {
      windowBox.style.left = `${(100 * state.start) / move.source_seconds}%`;
      windowBox.style.width = `${(100 * state.counts * phrase) / move.source_seconds}%`;
      text.textContent = `Starts at ${state.start.toFixed(2)} s on count 1, lasts ${state.counts} 8-count${state.counts === 1 ? "" : "s"} (${(state.counts * phrase).toFixed(2)} s) at ${move.tempo.toFixed(1)} BPM.`;
    }
    node.querySelectorAll("[data-nudge]").forEach((button) => {
      button.addEventListener("click", () => {
        const [sign, unit] = [button.dataset.nudge[0] === "-" ? -1 : 1, button.dataset.nudge.slice(1)];
        const start = Math.round((state.start + sign * (unit === "beat" ? beat : phrase)) * 10000) / 10000;
        if (fits(start, state.counts)) { state.start = start; draw(); }
      });
    });
    node.querySelectorAll("[data-counts]").forEach((button) => {
      button.addEventListener("click", () => {
        const counts = state.counts + Number(button.dataset.counts);
        if (counts >= 1 && fits(state.start, counts)) { state.counts = counts; draw(); }
      });
    });
    const labels = node.querySelector(".labels");
    ["label", "difficulty", "energy_level", "style", "role"].forEach((name) => {
      labels.querySelector(`[name=${name}]`).value = move[name];
    });
    node.querySelector(".preview").addEventListener("click", async () => {
      status.textContent = "Making the preview…";
      try {
        const made = await call("POST", `${api}${move.id}/preview/`, { start_seconds: state.start, counts: state.counts });
        const video = node.querySelector(".preview-video");
        video.src = made.url;
        video.hidden = false;
        status.textContent = "The preview plays the cut with a click on every beat (count 1 higher).";
      } catch (error) { status.textContent = error.message; }
    });
    node.querySelector(".save").addEventListener("click", async () => {
      const body = { start_seconds: state.start, counts: state.counts };
      ["label", "difficulty", "energy_level", "style", "role"].forEach((name) => {
        body[name] = labels.querySelector(`[name=${name}]`).value;
      });
      status.textContent = "Saving…";
      try {
        const saved = await call("PATCH", `${api}${move.id}/`, body);
        follow(saved, status);
      } catch (error) { status.textContent = error.message; }
    });
    draw();
    container.append(node);
  }

  async function follow(move, status) {
    status.dataset.status = move.status;
    while (move.status === "cutting") {
      status.textContent = "Cutting the move into the library's format…";
      await new Promise((resolve) => setTimeout(resolve, 700));
      const listed = await call("GET", api);
      move = listed.find((m) => m.id === move.id) || move;
    }
    status.dataset.status = move.status;
    status.textContent = move.status === "ready"
      ? `${move.label} is ready: your students can dance it.`
      : move.status === "failed" ? sentence({ error: move.failure }) : `Saved (${move.status}).`;
  }

  // --- uploads ------------------------------------------------------------------------------------

  function upload(file) {
    const item = document.createElement("li");
    item.className = "upload";
    const title = document.createElement("strong");
    title.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    const line = document.createElement("span");
    line.className = "upload-status";
    line.setAttribute("role", "status");
    line.textContent = "Uploading…";
    item.append(title, " ", bar, " ", line);
    document.getElementById("uploads").append(item);

    const form = new FormData();
    form.append("file", file);
    const tempo = document.getElementById("typed-tempo").value;
    if (tempo) form.append("tempo", tempo);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", api);
    xhr.setRequestHeader("Accept", "text/event-stream");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) {
        bar.value = Math.round((50 * event.loaded) / event.total);
        line.textContent = `Uploading… ${Math.round((100 * event.loaded) / event.total)} %`;
      }
    });
    let seen = 0;
    function events() {
      const text = xhr.responseText;
      const blocks = text.slice(seen).split("\n\n");
      blocks.pop(); // incomplete
      blocks.forEach((block) => {
        seen += block.length + 2;
        const name = (block.match(/^event: (.*)$/m) || [])[1];
        const data = (block.match(/^data: (.*)$/m) || [])[1];
        if (!name || !data) return;
        const payload = JSON.parse(data);
        if (name === "progress") {
          bar.value = 50 + Math.round(payload.progress / 2);
          line.textContent = `${payload.message}…`;
        } else if (name === "completed") {
          bar.value = 100;
          line.textContent = "Analysed: adjust the cut, name the move and save it.";
          editor(item, payload);
        } else if (name === "error") {
          bar.hidden = true;
          line.textContent = sentence(payload);
          line.classList.add("error");
        }
      });
    }
    xhr.addEventListener("progress", events);
    xhr.addEventListener("load", () => {
      if (xhr.getResponseHeader("Content-Type") === "text/event-stream") { events(); return; }
      bar.hidden = true;
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
      line.textContent = sentence(body);
      line.classList.add("error");
    });
    xhr.addEventListener("error", () => { line.textContent = "The upload stopped: check the connection and try again."; });
    xhr.send(form);
  }

  if (section) {
    const input = document.getElementById("move-files");
    input.addEventListener("change", () => { Array.from(input.files).forEach(upload); input.value = ""; });
    const zone = document.getElementById("drop-zone");
    zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      Array.from(event.dataTransfer.files).forEach(upload);
    });
  }

  // --- the listed moves: edit / re-cut, delete ------------------------------------------------------

  document.querySelectorAll(".edit-move").forEach((button) => {
    button.addEventListener("click", async () => {
      const item = button.closest("li");
      if (item.querySelector(".move-editor")) return;
      try {
        editor(item, await call("GET", `${api}${button.dataset.move}/`));
      } catch (error) { showError(error.message); }
    });
  });
  document.querySelectorAll(".delete-move").forEach((button) => {
    button.addEventListener("click", async () => {
      try {
        await call("DELETE", `${api}${button.dataset.move}/`);
        button.closest("li").remove();
      } catch (error) { showError(error.message); }
    });
  });
  function showError(message) {
    const box = document.getElementById("move-error");
    box.textContent = message;
    box.hidden = false;
  }
})();
