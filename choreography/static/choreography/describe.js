// choreo page, "Describe it": the dancer's words are read by POST /api/choreography/describe/;
// the reading is shown as chips the dancer can change, and fills the song and the form below.
// Plain JavaScript, no build step, no inline script (loaded after app.js).
"use strict";

(() => {
  const options = JSON.parse(document.getElementById("page-options").textContent);
  const $ = (id) => document.getElementById(id);
  const csrf = () => (document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/) || [])[1] || "";
  const CHOICES = { difficulty: options.difficulties, energy_level: options.energy_levels, style: ["", ...options.styles] };
  const LABELS = { difficulty: "Difficulty", energy_level: "Energy", style: "Style" };

  function seconds(value) {
    const whole = Math.round(value);
    return whole >= 60 ? `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}` : `${whole} s`;
  }

  function sectionText(section) {
    if (section.duration_seconds != null) return `${seconds(section.duration_seconds)} from the first phrase`;
    if (section.start_seconds != null) return `${seconds(section.start_seconds)} to ${seconds(section.end_seconds)}`;
    return "the whole song";
  }

  function chip(name, text, reading) {
    const item = document.createElement("li");
    item.dataset.field = name;
    item.className = reading.assumed ? "assumed" : "";
    item.title = reading.why + (reading.words.length ? ` (from “${reading.words.join("”, “")}”)` : "");
    item.append(`${name}: `);
    if (text !== null) {
      const strong = document.createElement("strong");
      strong.textContent = text;
      item.append(strong);
    }
    return item;
  }

  function selectChip(name, reading) {
    const item = chip(LABELS[name], null, reading);
    const select = document.createElement("select");
    select.id = `chip-${name}`;
    select.setAttribute("aria-label", LABELS[name]);
    for (const value of CHOICES[name]) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = value || "any";
      select.append(option);
    }
    select.value = reading.value || "";
    select.addEventListener("change", () => setForm(name, select.value));
    $(name).addEventListener("change", () => { select.value = $(name).value; });
    item.append(select);
    return item;
  }

  function setForm(name, value) {
    const field = $(name);
    field.value = value || "";
    field.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function chooseSong(song) {
    // The song's row may be on another page of the table: search for it, then pick it.
    return new Promise((resolve) => {
      const pick = () => {
        const radio = $(`song-${song.id}`);
        if (!radio) return false;
        radio.checked = true;
        radio.dispatchEvent(new Event("change", { bubbles: true }));
        resolve(true);
        return true;
      };
      if (pick()) return;
      const observer = new MutationObserver(() => { if (pick()) observer.disconnect(); });
      observer.observe($("song-rows"), { childList: true, subtree: true });
      setTimeout(() => { observer.disconnect(); resolve(false); }, 5000);
      $("song-q").value = song.title;
      $("song-q").dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  function show(reading) {
    const chips = $("chips");
    chips.replaceChildren();
    const song = reading.song;
    chips.append(chip("Song", song.id === null ? "none" : `${song.title} — ${song.artist}`, song));
    for (const name of ["difficulty", "energy_level", "style"]) chips.append(selectChip(name, reading[name]));
    if (reading.tempo.value) chips.append(chip("Tempo", reading.tempo.value, reading.tempo));
    chips.append(chip("Length", sectionText(reading.section), reading.section));
    $("reading-steps").replaceChildren(...reading.steps.map((step) => {
      const item = document.createElement("li");
      item.textContent = step;
      return item;
    }));
    $("interpreter-note").textContent = reading.interpreter === "llm"
      ? "Read by the language model."
      : `Read by the built-in interpreter${reading.fallback_reason ? ` (the model did not answer: ${reading.fallback_reason})` : ""}. Dashed chips were assumed; change any of them.`;
    $("interpretation").hidden = false;
  }

  function showError(body) {
    const examples = body.details && body.details.examples;
    $("describe-error").textContent = body.error + (examples ? `. Try for example: “${examples.join("”, “")}”.` : "");
    $("describe-error").hidden = false;
  }

  async function read(thenGenerate) {
    const text = $("describe-text").value;
    $("describe-error").hidden = true;
    $("describe").disabled = $("describe-generate").disabled = true;
    try {
      const response = await fetch("/api/choreography/describe/", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify({ text }),
      });
      const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
      if (!response.ok) { showError(body); return; }
      show(body);
      for (const name of ["difficulty", "energy_level", "style"]) setForm(name, body[name].value);
      const found = body.song.id !== null && await chooseSong(body.song);
      if (thenGenerate && found) $("generate").click();
    } catch (error) {
      showError({ error: "The connection failed. Please try again." });
    } finally {
      $("describe").disabled = $("describe-generate").disabled = false;
    }
  }

  $("describe-form").addEventListener("submit", (event) => { event.preventDefault(); read(false); });
  $("describe-generate").addEventListener("click", () => read(true));
  for (const button of document.querySelectorAll(".describe-example")) {
    button.addEventListener("click", () => { $("describe-text").value = button.dataset.text; $("describe-text").focus(); });
  }
  $("describe").disabled = $("describe-generate").disabled = false;  // served disabled until this runs
})();
