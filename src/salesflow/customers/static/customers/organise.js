// The customer list's "select all on this page" box, which survives HTMX swapping the rows.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    const all = event.target.closest("[data-select-all]");
    if (!all) return;
    document.querySelectorAll("input[name=customer][form=selection-form]").forEach(function (box) {
      box.checked = all.checked;
    });
  });
})();

// After the filters changed the address (HTMX), the selection still returns to the list as shown.
document.addEventListener("submit", function (event) {
  if (event.target.id !== "selection-form") return;
  event.target.elements.next.value = window.location.pathname + window.location.search;
});
