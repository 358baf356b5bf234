// The printable count sheet: a Print button (the page prints fine with Ctrl+P without it).
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
