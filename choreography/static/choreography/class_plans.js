// Instructor pages: the class plans list (through /api/class-plans/): plans, their sequences
// (order, repetitions, notes, removal), and the print button.
"use strict";

(function () {
  const printButton = document.getElementById("print");
  if (printButton) printButton.addEventListener("click", () => window.print());
  const list = document.getElementById("plans");
  if (!list) return;
  const status = document.getElementById("plan-status");

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function call(method, url, body) {
    const init = { method, headers: { "X-CSRFToken": csrfToken() }, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    const data = response.status === 204 ? null : await response.json();
    if (!response.ok) throw new Error((data && data.error) || response.statusText);
    return data;
  }

  let fieldIds = 0;

  /** One sequence: its title × repetitions, Up/Down, and its own form (repetitions, notes on
   * several lines, Save, Remove) whose errors and confirmations stay next to it. */
  function sequenceItem(item, s, index, count) {
    const li = document.createElement("li");
    li.className = "sequence";
    li.dataset.sequenceId = s.id;
    const name = document.createElement("span");
    name.className = "sequence-title";
    name.textContent = `${s.title} × ${s.repetitions}`;
    li.append(name);
    for (const [label, delta] of [["Up", -1], ["Down", 1]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.setAttribute("aria-label", `Move ${s.title} ${label.toLowerCase()}`);
      button.disabled = index + delta < 0 || index + delta >= count;
      button.addEventListener("click", () => move(item, index, delta));
      li.append(" ", button);
    }
    const form = document.createElement("form");
    form.className = "sequence-edit";
    form.noValidate = true; // its own message, beside the field, in words
    fieldIds += 1;
    const reps = `seq-reps-${fieldIds}`;
    const notes = `seq-notes-${fieldIds}`;
    form.innerHTML = `
      <label for="${reps}">Repetitions</label>
      <input id="${reps}" name="repetitions" type="number" min="1" max="100" required>
      <label for="${notes}">Notes</label>
      <textarea id="${notes}" name="notes" rows="3" maxlength="4000" placeholder="what to teach, cues, who leads"></textarea>
      <span class="sequence-buttons"><button type="submit">Save</button> <button type="button" class="remove">Remove</button></span>
      <p class="sequence-status" role="status" aria-live="polite"></p>`;
    form.elements.repetitions.value = String(s.repetitions);
    form.elements.notes.value = s.notes || "";
    for (const [selector, words] of [["button[type=submit]", `Save ${s.title}`], [".remove", `Remove ${s.title}`]]) {
      form.querySelector(selector).setAttribute("aria-label", words);
    }
    form.elements.repetitions.setAttribute("aria-label", `Repetitions of ${s.title}`);
    form.elements.notes.setAttribute("aria-label", `Notes for ${s.title}`);
    const say = (text, isError) => {
      const line = form.querySelector(".sequence-status");
      line.textContent = text;
      line.classList.toggle("error", Boolean(isError));
      line.setAttribute("role", isError ? "alert" : "status");
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const repetitions = Number(form.elements.repetitions.value);
      if (!Number.isInteger(repetitions) || repetitions < 1 || repetitions > 100) {
        say("Repetitions: a whole number from 1 to 100.", true);
        form.elements.repetitions.focus();
        return;
      }
      try {
        const saved = await call("PATCH", `/api/class-plans/${item.dataset.planId}/sequences/${s.id}/`, {
          repetitions,
          notes: form.elements.notes.value,
        });
        name.textContent = `${saved.title} × ${saved.repetitions}`;
        say("Saved.");
      } catch (error) {
        say(`Could not save: ${error.message}`, true);
      }
    });
    form.querySelector(".remove").addEventListener("click", async () => {
      try {
        await call("DELETE", `/api/class-plans/${item.dataset.planId}/sequences/${s.id}/`);
      } catch (error) {
        say(`Could not remove: ${error.message}`, true);
        return;
      }
      await load(item);
      const left = item.querySelector(".sequence-removed");
      left.textContent = `Removed ${s.title}.`;
    });
    li.append(form);
    return li;
  }

  function renderSequences(item, sequences) {
    const ol = item.querySelector(".sequences");
    ol.replaceChildren(...sequences.map((s, index) => sequenceItem(item, s, index, sequences.length)));
    let removed = item.querySelector(".sequence-removed");
    if (!removed) {
      removed = document.createElement("p");
      removed.className = "sequence-removed hint";
      removed.setAttribute("role", "status");
      ol.after(removed);
    }
    removed.textContent = "";
  }

  async function load(item) {
    const plan = await call("GET", `/api/class-plans/${item.dataset.planId}/`);
    renderSequences(item, plan.sequences);
  }

  async function move(item, index, delta) {
    const ids = [...item.querySelectorAll(".sequence")].map((li) => Number(li.dataset.sequenceId));
    [ids[index], ids[index + delta]] = [ids[index + delta], ids[index]];
    try {
      const body = await call("PUT", `/api/class-plans/${item.dataset.planId}/order/`, { sequence_ids: ids });
      renderSequences(item, body.items);
      status.textContent = "Order saved.";
    } catch (error) {
      status.textContent = `Could not reorder: ${error.message}`;
      await load(item);
    }
  }

  list.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const item = button.closest(".plan");
    const id = item.dataset.planId;
    try {
      if (button.dataset.action === "duplicate") {
        await call("POST", `/api/class-plans/${id}/duplicate/`);
        window.location.reload();
      } else if (button.dataset.action === "delete" && window.confirm("Delete this plan?")) {
        await call("DELETE", `/api/class-plans/${id}/`);
        item.remove();
        status.textContent = "Plan deleted.";
      }
    } catch (error) {
      status.textContent = error.message;
    }
  });

  list.addEventListener("submit", async (event) => {
    const form = event.target.closest("form.add-sequence");
    if (!form) return;
    event.preventDefault();
    const item = form.closest(".plan");
    try {
      await call("POST", `/api/class-plans/${item.dataset.planId}/sequences/`, {
        choreography_id: Number(form.elements.choreography_id.value),
        repetitions: Number(form.elements.repetitions.value || 1),
      });
      await load(item);
      status.textContent = "Sequence added.";
    } catch (error) {
      status.textContent = error.message;
    }
  });

  document.getElementById("new-plan").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = { title: form.elements.title.value };
    if (form.elements.level.value) body.level = form.elements.level.value;
    if (form.elements.date.value) body.date = form.elements.date.value;
    if (form.elements.duration_target_minutes.value) {
      body.duration_target_minutes = Number(form.elements.duration_target_minutes.value);
    }
    try {
      await call("POST", "/api/class-plans/", body);
      window.location.reload();
    } catch (error) {
      status.textContent = error.message;
    }
  });

  list.querySelectorAll(".plan").forEach((item) => load(item).catch((e) => (status.textContent = e.message)));
  // The forms' buttons are served disabled: before this script handles them, a click would
  // submit a form as a plain page load and lose what the instructor typed.
  document.querySelectorAll("[data-ready-with-script]").forEach((button) => { button.disabled = false; });
})();
