// The account page: the new token, shown once, is selected when focused so it can be copied.
// A served file rather than an onfocus attribute: the Content-Security-Policy runs no inline script.
(() => {
  const token = document.getElementById("new-token");
  if (!token) return;
  token.addEventListener("focus", () => token.select());
  if (document.activeElement === token) token.select(); // autofocus came before this script
})();
