// My choreographies, one list (my_choreographies.html): the saved ones first (watch, edit the
// title and notes in place, share, delete), then the videos not saved yet (watch, save) or, with
// the "Show" filter, every other attempt (failed, cancelled, deleted: Try again). Saving opens a
// dialog (title suggested, notes on several lines). Every change reloads every list at once, and
// an error is shown inside the item (or dialog) that caused it. Storage used against the quota.
// Uses $, clock, csrfToken, songs, words, showVideo and options of app.js.
"use strict";

const api = async (method, url, body) => {
  const init = { method, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new Error(sentence(data, response.status));
  return data;
};

/** An API error as a sentence (its message starts with a capital and ends with a full stop). */
function sentence(data, status) {
  if (!data || !data.error) return `Something went wrong (HTTP ${status}).`;
  const text = String(data.error);
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

function button(text, onClick, className) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  if (className) b.className = className;
  b.addEventListener("click", onClick);
  return b;
}

const mine = { savedTaskIds: new Set(), current: null, timer: null, refreshes: 0 };

/** A refresh that a later one (another filter, search or ordering) has overtaken: it draws nothing. */
const overtaken = (ticket) => ticket !== mine.refreshes;

/** "Obsesión — beginner, medium, romantic": the title a save suggests (as the server's default). */
function suggestedTitle(song, params) {
  const p = params || {};
  const described = [p.difficulty, p.energy_level, p.style].filter(Boolean).join(", ");
  const title = song && song.title ? song.title : "Choreography";
  return described ? `${title} — ${described}` : title;
}

/** Shows ``text`` in the item's own error line (made on first use); none hides it. */
function itemError(item, text) {
  let line = item.querySelector(":scope > .item-error");
  if (!line) {
    line = document.createElement("p");
    line.className = "error item-error";
    line.setAttribute("role", "alert");
    item.appendChild(line);
  }
  line.textContent = text || "";
  line.hidden = !text;
}

function listError(text) {
  $("collection-error").textContent = text || "";
  $("collection-error").hidden = !text;
}

async function loadUsage() {
  try {
    const stats = await api("GET", "/api/collections/stats/");
    const u = stats.usage;
    $("usage").textContent = `Storage: ${u.used_mb} MB used of ${u.quota_mb} MB · ${stats.count} saved · ${stats.total_minutes} min`;
  } catch (error) {
    $("usage").textContent = `Storage: unknown (${error.message})`;
  }
}

async function watchFrom(taskId, item) {
  const response = await fetch(`/api/choreography/videos/${encodeURIComponent(taskId)}/`, { credentials: "same-origin" });
  if (!response.ok) {
    itemError(item, response.status === 404 ? "This video no longer exists: it was deleted." : `This video could not be loaded (HTTP ${response.status}).`);
    return;
  }
  itemError(item, "");
  showVideo(await response.json());
  ChoreoPlayer.focus();
}

// --- the saved ones ---------------------------------------------------------------------------

function thumbnail(url) {
  const thumb = document.createElement("img");
  thumb.className = "thumb";
  thumb.src = url;
  thumb.alt = "";
  thumb.loading = "lazy";
  return thumb;
}

function collectionItem(saved) {
  const item = document.createElement("li");
  item.className = "saved";
  item.dataset.id = saved.id;
  item.dataset.taskId = saved.task_id;
  const head = document.createElement("div");
  head.className = "item-head";
  if (saved.poster_url) head.appendChild(thumbnail(saved.poster_url));
  const title = document.createElement("strong");
  title.className = "saved-title";
  title.textContent = saved.title;
  const meta = document.createElement("span");
  meta.className = "hint";
  const song = saved.song ? `${saved.song.title} · ` : "";
  meta.textContent = ` · ${song}${new Date(saved.created_at).toLocaleString()} · ${clock(saved.duration_seconds)}`;
  head.append(title, meta);
  item.appendChild(head);
  if (saved.notes) {
    const notes = document.createElement("p");
    notes.className = "notes";
    notes.textContent = saved.notes;
    item.appendChild(notes);
  }
  const actions = document.createElement("div");
  actions.className = "actions";
  actions.append(
    button("Watch", () => watchFrom(saved.task_id, item)),
    button("Edit", () => editInPlace(item, saved), "edit"),
  );
  if (saved.share_url) {
    const link = document.createElement("a");
    link.href = saved.share_url;
    link.className = "share-url";
    link.textContent = "shared link";
    link.target = "_blank";
    link.rel = "noopener";
    actions.append(link, button("Unshare", () => act(item, () => api("DELETE", `/api/collections/${saved.id}/share/`))));
  } else {
    actions.append(button("Share", () => act(item, () => api("POST", `/api/collections/${saved.id}/share/`, {}))));
  }
  actions.append(
    button("Delete", async () => {
      if (!confirm(`Delete "${saved.title}" and its video? This cannot be undone.`)) return;
      await act(item, async () => {
        await api("DELETE", `/api/collections/${saved.id}/`);
        $("collection-status").textContent = `Deleted "${saved.title}".`;
        letGo([saved.task_id]);
      });
    }, "danger"),
  );
  for (const action of actions.querySelectorAll("button")) action.setAttribute("aria-label", `${action.textContent} “${saved.title}”`);
  item.appendChild(actions);
  return item;
}

/** The item becomes a form: title and notes (several lines), Save or Cancel; errors in it. */
function editInPlace(item, saved) {
  const form = document.createElement("form");
  form.className = "edit-saved stack";
  const titleId = `edit-title-${saved.id}`;
  const notesId = `edit-notes-${saved.id}`;
  form.innerHTML = `
    <div class="field"><label for="${titleId}">Title</label><input id="${titleId}" name="title" required maxlength="200" autocomplete="off"></div>
    <div class="field"><label for="${notesId}">Notes</label><textarea id="${notesId}" name="notes" rows="4" maxlength="4000"></textarea></div>
    <div class="dialog-actions"><button type="submit" class="primary">Save changes</button> <button type="button" class="cancel">Cancel</button></div>`;
  form.elements.title.value = saved.title;
  form.elements.notes.value = saved.notes || "";
  const shown = [...item.children];
  for (const child of shown) child.hidden = true;
  item.appendChild(form);
  form.elements.title.focus();
  const close = () => { form.remove(); for (const child of shown) child.hidden = false; itemError(item, ""); };
  form.querySelector(".cancel").addEventListener("click", () => { close(); item.querySelector(".actions button.edit").focus(); });
  form.addEventListener("keydown", (event) => { if (event.key === "Escape") { event.preventDefault(); form.querySelector(".cancel").click(); } });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const title = form.elements.title.value.trim();
    if (!title) {
      form.elements.title.setAttribute("aria-invalid", "true");
      itemError(item, "Give it a title.");
      form.elements.title.focus();
      return;
    }
    try {
      await api("PATCH", `/api/collections/${saved.id}/`, { title, notes: form.elements.notes.value });
    } catch (error) {
      itemError(item, error.message);
      return;
    }
    $("collection-status").textContent = `Saved your changes to "${title}".`;
    await refreshCollections();
    const again = $("collection").querySelector(`li.saved[data-id="${saved.id}"] .actions button.edit`);
    if (again) again.focus();
  });
}

/** Runs one change of ``item``; true when it worked. Its error stays next to it. */
async function act(item, operation) {
  try {
    await operation();
  } catch (error) {
    itemError(item, error.message);
    return false;
  }
  await refreshCollections();
  return true;
}

/** After a delete: the player lets go of a video that no longer exists. */
function letGo(taskIds) {
  if (taskIds.includes($("result").dataset.taskId)) {
    $("player").pause();
    $("result").hidden = true;
    $("result").dataset.taskId = "";
  }
}

async function loadCollection(ticket) {
  const list = $("collection");
  const params = new URLSearchParams({ page_size: "100", ordering: $("collection-ordering").value });
  const q = $("collection-q").value.trim();
  if (q) params.set("q", q);
  const page = await api("GET", `/api/collections/?${params}`);
  // The ids of every saved one (not only those the search shows): they are not "not saved".
  const all = q ? await api("GET", "/api/collections/?page_size=100") : page;
  if (overtaken(ticket)) return;
  mine.savedTaskIds = new Set(all.items.map((saved) => saved.task_id));
  list.replaceChildren();
  if (!page.items.length) { list.innerHTML = q ? "<li>No saved choreography matches.</li>" : "<li>Nothing saved yet.</li>"; return; }
  for (const saved of page.items) list.appendChild(collectionItem(saved));
}

// --- the others: unsaved videos, or every attempt ------------------------------------------

function matches(entry) {
  const q = $("collection-q").value.trim().toLowerCase();
  return !q || (entry.song && entry.song.title.toLowerCase().includes(q));
}

function otherItem(entry, { status, message, stage }) {
  const item = document.createElement("li");
  item.className = `attempt ${status}`;
  item.dataset.taskId = entry.task_id;
  const head = document.createElement("div");
  head.className = "item-head";
  if (entry.poster_url) head.appendChild(thumbnail(entry.poster_url));
  const song = entry.song ? entry.song.title : "deleted song";
  const label = suggestedTitle(entry.song, entry.parameters).replace(/^[^—]*— ?/, "");
  const when = new Date(entry.created_at).toLocaleString();
  const length = entry.duration_seconds ? ` · ${clock(entry.duration_seconds)}` : "";
  head.append(`${song}${label ? ` (${label})` : ""} · ${when}${length}`);
  if (status !== "completed") {
    const badge = document.createElement("span");
    badge.className = `status ${status}`;
    const where = status === "failed" ? ` (while ${words(stage)})` : "";
    badge.textContent = ` · ${status}: ${message}${where}`;
    head.append(badge);
  }
  item.appendChild(head);
  const actions = document.createElement("div");
  actions.className = "actions";
  if (status === "completed") {
    actions.append(
      button("Watch", () => watchFrom(entry.task_id, item)),
      button("Save…", (event) => openSaveDialog({ taskId: entry.task_id, suggestion: suggestedTitle(entry.song, entry.parameters), opener: event.currentTarget })),
    );
  } else if (status !== "running") {
    actions.append(button("Try again", () => tryAgain(entry.task_id, item)));
  }
  for (const action of actions.querySelectorAll("button")) action.setAttribute("aria-label", `${action.textContent.replace("…", "")} ${song}, ${when}`);
  item.appendChild(actions);
  return item;
}

async function loadOthers(ticket) {
  const list = $("history");
  const every = $("collection-show").value === "attempts";
  let entries;
  if (every) {
    const page = await api("GET", "/api/choreography/history/?page_size=50");
    entries = page.items.map((a) => [a, { status: a.status, message: a.message, stage: a.stage }]);
  } else {
    const page = await api("GET", "/api/choreography/videos/?page_size=50");
    entries = page.items.map((v) => [v, { status: "completed", message: "video ready", stage: "completed" }]);
  }
  if (overtaken(ticket)) return;
  $("history-title").textContent = every ? "Every other attempt" : "Not saved";
  entries = entries.filter(([entry]) => !mine.savedTaskIds.has(entry.task_id) && matches(entry));
  list.replaceChildren();
  if (!entries.length) { list.innerHTML = every ? "<li>No other attempt.</li>" : "<li>No unsaved video.</li>"; return; }
  for (const [entry, outcome] of entries) list.appendChild(otherItem(entry, outcome));
}

async function tryAgain(taskId, item) {
  try {
    const again = await api("POST", `/api/choreography/history/${encodeURIComponent(taskId)}/retry/`);
    for (const radio of document.querySelectorAll("input[name=song]")) radio.checked = Number(radio.value) === again.song_id;
    songs.chosen = { id: again.song_id, title: $("song-chosen").textContent };
    $("difficulty").value = again.difficulty;
    $("energy_level").value = again.energy_level;
    $("style").value = again.style || "";
    $("seed").value = again.seed ?? "";
    $("allow_repeats").checked = Boolean(again.allow_repeats);
    $("start_seconds").value = again.start_seconds ?? "";
    $("end_seconds").value = again.end_seconds ?? "";
    $("duration_seconds").value = "";
    const library = $("library");
    if (library) library.value = again.library === "public" || !again.studio_id ? "public" : `${again.library}:${again.studio_id}`;
    document.dispatchEvent(new CustomEvent("choreo:choices"));
    itemError(item, "");
    $("generate-form").requestSubmit();
  } catch (error) {
    itemError(item, error.message);
  }
}

async function refreshCollections() {
  const ticket = ++mine.refreshes;
  listError("");
  const loaded = await Promise.allSettled([loadCollection(ticket).then(() => loadOthers(ticket)), loadUsage()]);
  if (overtaken(ticket)) return;
  if (loaded[0].status === "rejected") listError(`Your choreographies could not be loaded: ${loaded[0].reason.message}`);
}

// --- the save dialog ------------------------------------------------------------------------

const dialog = $("save-dialog");
const saveForm = $("save-form");

function saveError(text) {
  $("save-error").textContent = text || "";
  $("save-error").hidden = !text;
  if (text) $("save-title").setAttribute("aria-invalid", String(!$("save-title").value.trim()));
  else $("save-title").removeAttribute("aria-invalid");
}

function openSaveDialog({ taskId, suggestion, opener }) {
  dialog.dataset.taskId = taskId;
  mine.opener = opener || null;
  $("save-title").value = suggestion;
  $("save-notes").value = "";
  saveError("");
  dialog.showModal();
  $("save-title").focus();
  $("save-title").select();
}

saveForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const title = $("save-title").value.trim();
  if (!title) { saveError("Give it a title."); $("save-title").focus(); return; }
  const taskId = dialog.dataset.taskId;
  $("save-confirm").disabled = true;
  try {
    const saved = await api("POST", "/api/collections/", { task_id: taskId, title, notes: $("save-notes").value });
    dialog.close();
    $("collection-status").textContent = `Saved as "${saved.title}".`;
    if ($("result").dataset.taskId === taskId) savedResult(saved.title);
  } catch (error) {
    saveError(error.message);
    return;
  } finally {
    $("save-confirm").disabled = false;
  }
  await refreshCollections();
  const item = $("collection").querySelector(`li.saved[data-task-id="${taskId}"] .actions button`);
  if (item) item.focus();
  else if (mine.opener && mine.opener.isConnected) mine.opener.focus();
});
$("save-cancel").addEventListener("click", () => dialog.close());
$("save-title").addEventListener("input", () => { if ($("save-title").value.trim()) saveError(""); });

function savedResult(title) {
  $("save-status").textContent = `Saved as "${title}".`;
  $("save-result").disabled = true;
}

$("save-result").addEventListener("click", (event) => {
  const result = mine.current;
  const taskId = $("result").dataset.taskId;
  if (!taskId || !result) return;
  openSaveDialog({ taskId, suggestion: suggestedTitle(result.song, result.parameters), opener: event.currentTarget });
});

document.addEventListener("choreo:result", async (event) => {
  mine.current = event.detail;
  $("save-result").disabled = false;
  $("save-status").textContent = "";
  await refreshCollections();
  // Saved already (auto-save, or watched from the saved list): nothing to save again.
  if (mine.savedTaskIds.has(event.detail.task_id)) {
    const saved = $("collection").querySelector(`li.saved[data-task-id="${event.detail.task_id}"] .saved-title`);
    savedResult(saved ? saved.textContent : "");
  }
});

$("delete-all").addEventListener("click", async () => {
  if (!confirm("Delete ALL your saved choreographies and their videos? This cannot be undone.")) return;
  const before = [...mine.savedTaskIds];
  try {
    const done = await api("DELETE", "/api/collections/?confirm=true");
    $("collection-status").textContent = `Deleted ${done.deleted} saved choreograph${done.deleted === 1 ? "y" : "ies"}.`;
    letGo(before);
  } catch (error) {
    await refreshCollections();
    listError(error.message);
    return;
  }
  await refreshCollections();
});

$("collection-q").addEventListener("input", () => {
  clearTimeout(mine.timer);
  mine.timer = setTimeout(refreshCollections, 250);
});
$("collection-ordering").addEventListener("change", refreshCollections);
$("collection-show").addEventListener("change", refreshCollections);
$("collection-filters").addEventListener("submit", (event) => { event.preventDefault(); refreshCollections(); });
refreshCollections();
