// My choreographies: save the finished video, rename, notes, share, delete; every attempt with
// "try again"; storage used against the quota. Uses $, clock, csrfToken and songs of app.js.
"use strict";

const api = async (method, url, body) => {
  const init = { method, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new Error((data && data.error) || `error ${response.status}`);
  return data;
};

function button(text, onClick, className) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  if (className) b.className = className;
  b.addEventListener("click", onClick);
  return b;
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

function collectionItem(saved) {
  const item = document.createElement("li");
  item.className = "saved";
  item.dataset.id = saved.id;
  const title = document.createElement("strong");
  title.className = "saved-title";
  title.textContent = saved.title;
  const meta = document.createElement("span");
  meta.className = "hint";
  meta.textContent = ` · ${new Date(saved.created_at).toLocaleString()} · ${clock(saved.duration_seconds)}`;
  item.append(title, meta);
  if (saved.notes) {
    const notes = document.createElement("p");
    notes.className = "notes";
    notes.textContent = saved.notes;
    item.appendChild(notes);
  }
  const actions = document.createElement("div");
  actions.className = "actions";
  actions.append(
    button("Watch", () => watch(saved.task_id)),
    button("Rename", async () => {
      const name = prompt("New title", saved.title);
      if (name === null || !name.trim()) return;
      await act(() => api("PATCH", `/api/collections/${saved.id}/`, { title: name.trim() }));
    }),
    button("Notes", async () => {
      const notes = prompt("Notes", saved.notes);
      if (notes === null) return;
      await act(() => api("PATCH", `/api/collections/${saved.id}/`, { notes }));
    }),
  );
  if (saved.share_url) {
    const link = document.createElement("a");
    link.href = saved.share_url;
    link.className = "share-url";
    link.textContent = "shared link";
    link.target = "_blank";
    link.rel = "noopener";
    actions.append(link, button("Unshare", () => act(() => api("DELETE", `/api/collections/${saved.id}/share/`))));
  } else {
    actions.append(button("Share", () => act(() => api("POST", `/api/collections/${saved.id}/share/`, {}))));
  }
  actions.append(
    button("Delete", async () => {
      if (!confirm(`Delete "${saved.title}" and its video? This cannot be undone.`)) return;
      await act(() => api("DELETE", `/api/collections/${saved.id}/`));
    }, "danger"),
  );
  item.appendChild(actions);
  return item;
}

async function act(operation) {
  try {
    await operation();
    $("error").hidden = true;
  } catch (error) {
    showError(error.message);
  }
  await refreshCollections();
}

async function loadCollection() {
  const list = $("collection");
  const params = new URLSearchParams({ page_size: "50", ordering: $("collection-ordering").value });
  const q = $("collection-q").value.trim();
  if (q) params.set("q", q);
  try {
    const page = await api("GET", `/api/collections/?${params}`);
    list.replaceChildren();
    if (!page.items.length) { list.innerHTML = "<li>Nothing saved yet.</li>"; return; }
    for (const saved of page.items) list.appendChild(collectionItem(saved));
  } catch {
    list.innerHTML = "<li>Your choreographies could not be loaded.</li>";
  }
}

async function tryAgain(taskId) {
  try {
    const again = await api("POST", `/api/choreography/history/${encodeURIComponent(taskId)}/retry/`);
    for (const radio of document.querySelectorAll("input[name=song]")) radio.checked = Number(radio.value) === again.song_id;
    songs.chosen = { id: again.song_id, title: $("song-chosen").textContent };
    $("difficulty").value = again.difficulty;
    $("energy_level").value = again.energy_level;
    $("style").value = again.style || "";
    $("seed").value = again.seed ?? "";
    $("start_seconds").value = again.start_seconds ?? "";
    $("end_seconds").value = again.end_seconds ?? "";
    $("duration_seconds").value = "";
    $("generate-form").requestSubmit();
  } catch (error) {
    showError(error.message);
  }
}

async function loadAttempts() {
  const list = $("attempts");
  try {
    const page = await api("GET", "/api/choreography/history/?page_size=20");
    list.replaceChildren();
    if (!page.items.length) { list.innerHTML = "<li>No attempts yet.</li>"; return; }
    for (const attempt of page.items) {
      const item = document.createElement("li");
      item.className = `attempt ${attempt.status}`;
      const song = attempt.song ? attempt.song.title : "song";
      const where = attempt.status === "failed" ? ` (while ${words(attempt.stage)})` : "";
      item.textContent = `${song} · ${new Date(attempt.created_at).toLocaleString()} · ${attempt.status}: ${attempt.message}${where} `;
      if (attempt.status !== "running") item.appendChild(button("Try again", () => tryAgain(attempt.task_id)));
      list.appendChild(item);
    }
  } catch {
    list.innerHTML = "<li>Your attempts could not be loaded.</li>";
  }
}

async function refreshCollections() {
  await Promise.all([loadCollection(), loadUsage(), loadAttempts()]);
}

document.addEventListener("choreo:result", () => {
  $("save-result").disabled = false;
  $("save-status").textContent = "";
  loadAttempts();
  loadUsage();
});

$("save-result").addEventListener("click", async () => {
  const taskId = $("result").dataset.taskId;
  if (!taskId) return;
  try {
    const saved = await api("POST", "/api/collections/", { task_id: taskId });
    $("save-status").textContent = `Saved as "${saved.title}".`;
    $("save-result").disabled = true;
  } catch (error) {
    $("save-status").textContent = error.message;
  }
  await refreshCollections();
});

$("delete-all").addEventListener("click", async () => {
  if (!confirm("Delete ALL your saved choreographies and their videos? This cannot be undone.")) return;
  await act(() => api("DELETE", "/api/collections/?confirm=true"));
});

let collectionTimer = null;
$("collection-q").addEventListener("input", () => {
  clearTimeout(collectionTimer);
  collectionTimer = setTimeout(loadCollection, 250);
});
$("collection-ordering").addEventListener("change", loadCollection);
$("collection-filters").addEventListener("submit", (event) => { event.preventDefault(); loadCollection(); });
refreshCollections();
