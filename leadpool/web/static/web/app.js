// LeadPool's few lines of script. Every page works without it; it only adds the phone
// menu and "tick all". htmx does the partial page updates.
document.documentElement.classList.add("js");

document.addEventListener("click", (event) => {
  const toggle = event.target.closest(".nav-toggle");
  if (toggle) {
    const bar = toggle.closest(".topbar");
    bar.classList.toggle("nav-open");
    toggle.setAttribute("aria-expanded", bar.classList.contains("nav-open"));
  }
});

document.addEventListener("change", (event) => {
  // The header tick box ticks every record on the page (the list may have been
  // re-rendered by htmx, hence delegation).
  if (event.target.matches("[data-select-all]")) {
    const form = event.target.form;
    form.querySelectorAll("input[name=ids]").forEach((box) => {
      box.checked = event.target.checked;
    });
  }
});
