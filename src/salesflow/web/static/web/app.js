// Shared page behaviour: a toast for messages sent by the server, and HTMX error handling.
(function () {
  "use strict";

  function showToast(text, kind) {
    const toast = document.getElementById("toast");
    if (!toast) return;
    toast.textContent = text;
    toast.className = "toast" + (kind ? " " + kind : "");
    toast.hidden = false;
    clearTimeout(showToast.timer);
    showToast.timer = setTimeout(function () { toast.hidden = true; }, 6000);
  }
  window.salesflow = { showToast: showToast };

  // Views send {"toast": {"text": "...", "kind": "error"}} in an HX-Trigger header.
  document.addEventListener("toast", function (event) {
    showToast(event.detail.text, event.detail.kind);
  });

  // A 409 (changed by someone else) or 422 answer to an HTMX request still shows its
  // fragment: the server renders the message and the fresh state.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const status = event.detail.xhr.status;
    if (status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    } else if (status >= 500) {
      showToast(document.body.dataset.serverError || "Server error", "error");
    }
  });
})();
