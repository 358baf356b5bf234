// A filter or switch that applies itself: <select data-autosubmit> submits its form when changed
// (instead of an inline onchange handler, which the content-security policy forbids).
for (const field of document.querySelectorAll("[data-autosubmit]")) {
  field.addEventListener("change", () => field.form.requestSubmit());
}
