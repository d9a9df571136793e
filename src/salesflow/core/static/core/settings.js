// Settings pages: confirm before deleting, and drag stages into a new order.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // After a drag, the hidden order form gets the stage ids in their new order and is sent;
  // the server answers with the list as saved (or as it is now, after a conflict).
  function sortable(root) {
    root.querySelectorAll("[data-sortable]").forEach(function (list) {
      if (!window.Sortable || list.dataset.sortableReady) return;
      list.dataset.sortableReady = "1";
      window.Sortable.create(list, {
        handle: ".drag-handle",
        animation: 150,
        onEnd: function (event) {
          if (event.oldIndex === event.newIndex) return;
          const form = document.getElementById("stage-order");
          form.querySelectorAll("input[name=stage]").forEach(function (input) { input.remove(); });
          list.querySelectorAll("[data-stage-id]").forEach(function (item) {
            const input = document.createElement("input");
            input.type = "hidden";
            input.name = "stage";
            input.value = item.dataset.stageId;
            form.appendChild(input);
          });
          form.requestSubmit();
        },
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    sortable(document);
    if (window.htmx) window.htmx.onLoad(sortable);
  });
})();
