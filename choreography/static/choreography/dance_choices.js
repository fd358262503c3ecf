// "Choose the dance": a line under each selector saying what the chosen level, energy or style
// means (the vocabulary's descriptions, in the page options), and Shuffle for a new variation.
// Uses $ and options of app.js.
"use strict";

(function () {
  const described = options.descriptions || {};
  const HINTED = ["difficulty", "energy_level", "style"];

  function showHint(name) {
    const select = $(name);
    const line = (described[name] || {})[select.value];
    $(`${name}-hint`).textContent = line || "";
  }

  for (const name of HINTED) {
    $(name).addEventListener("change", () => showHint(name));
    // Filled by code too (a profile default, Try again, the description reader): "input" and
    // "change" are not fired then, so the hint also follows the value when the form is used.
    showHint(name);
  }
  $("generate-form").addEventListener("submit", () => HINTED.forEach(showHint), { capture: true });
  document.addEventListener("choreo:choices", () => HINTED.forEach(showHint));

  const MAX_VARIATION = 2 ** 31 - 1;
  $("shuffle").addEventListener("click", () => {
    const draw = new Uint32Array(1);
    crypto.getRandomValues(draw);
    $("seed").value = String(draw[0] % MAX_VARIATION);
    $("seed").dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
