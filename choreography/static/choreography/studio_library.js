// The generate form's library choice, for a dancer who teaches or joined a studio: the public
// library, the studio's, or both (the studio's moves preferred). app.js reads the #library field.
(function () {
  "use strict";
  const form = document.getElementById("generate-form");
  if (!form) return;
  fetch("/api/studios/mine/", { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : []))
    .then((studios) => {
      if (!studios.length) return;
      const label = document.createElement("label");
      label.append("Moves from ");
      const select = document.createElement("select");
      select.id = "library";
      select.name = "library";
      const add = (value, text) => {
        const option = document.createElement("option");
        option.value = value;
        option.textContent = text;
        select.append(option);
      };
      studios.forEach((studio) => {
        add(`studio:${studio.id}`, `${studio.name} only`);
        add(`both:${studio.id}`, `${studio.name} first, then the public library`);
      });
      add("public", "the public library");
      label.append(select);
      form.prepend(label);
    })
    .catch(() => {});
})();
