// The dancer's page on a phone (at most 600 px wide): the video and its player come first (CSS
// order) and the other sections fold under their headings, each heading a button that opens
// its section (the disclosure pattern: aria-expanded, the body hidden). Before a video, the song
// list and the form stay open (they make the video); once one is shown, they fold too. Wider
// screens show every section as it is. Sections take part with data-fold; "open" ones start open.
"use strict";

(() => {
  const phone = window.matchMedia("(max-width: 600px)");
  const sections = [...document.querySelectorAll("section[data-fold]")];

  /** The section's heading and a body holding everything after it (made once). */
  function parts(section) {
    const heading = section.querySelector("h2");
    let body = section.querySelector(":scope > .fold-body");
    if (!body) {
      body = document.createElement("div");
      body.className = "fold-body";
      body.id = `${section.id || heading.id}-body`;
      while (heading.nextSibling) body.appendChild(heading.nextSibling);
      section.appendChild(body);
    }
    return { heading, body };
  }

  function setOpen(section, open) {
    const { heading, body } = parts(section);
    body.hidden = !open;
    const toggle = heading.querySelector(":scope > button.fold-toggle");
    if (toggle) toggle.setAttribute("aria-expanded", String(open));
  }

  function fold(section, open) {
    const { heading, body } = parts(section);
    if (!heading.querySelector(":scope > button.fold-toggle")) {
      const toggle = document.createElement("button");
      toggle.type = "button";
      toggle.className = "fold-toggle";
      toggle.setAttribute("aria-controls", body.id);
      while (heading.firstChild) toggle.appendChild(heading.firstChild);
      heading.appendChild(toggle);
      toggle.addEventListener("click", () => setOpen(section, body.hidden));
    }
    setOpen(section, open);
  }

  function unfold(section) {
    const { heading, body } = parts(section);
    const toggle = heading.querySelector(":scope > button.fold-toggle");
    if (toggle) toggle.replaceWith(...toggle.childNodes);
    body.hidden = false;
  }

  const showing = () => !document.getElementById("result").hidden;

  function layout() {
    for (const section of sections) {
      if (!phone.matches) unfold(section);
      else fold(section, section.dataset.fold === "open" && !showing());
    }
  }

  // A video shown on a phone: everything else folds, so the player is what the screen holds.
  document.addEventListener("choreo:result", () => {
    if (!phone.matches) return;
    for (const section of sections) setOpen(section, false);
  });
  phone.addEventListener("change", layout);
  layout();
})();
