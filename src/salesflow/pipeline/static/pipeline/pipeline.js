// The board's drag and drop, and the move dialog shared by the board and the deal page.
// Every move goes through the card's own "Move to" form, so mouse and keyboard take one path.
(function () {
  "use strict";

  // A dragged card waiting for the server: where to put it back if the move is cancelled.
  let pending = null;

  function putBack() {
    if (pending && pending.card.isConnected) {
      const next = pending.next && pending.next.parentNode === pending.from ? pending.next : null;
      pending.from.insertBefore(pending.card, next);
    }
    pending = null;
  }

  function submitMove(card, target) {
    const form = card.querySelector(".card-move");
    if (!form) return;
    form.elements.target.value = target;
    form.requestSubmit();
  }

  function initBoard(root) {
    if (!window.Sortable || !root.querySelectorAll) return;
    root.querySelectorAll(".board-cards").forEach(function (list) {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "1";
      window.Sortable.create(list, {
        group: "deals",
        sort: false,
        draggable: ".deal-card",
        filter: "select, button, input, a",
        preventOnFilter: false,
        animation: 150,
        forceFallback: true,
        onEnd: function (event) {
          if (event.from === event.to) return;
          pending = {
            card: event.item,
            from: event.from,
            next: event.from.children[event.oldIndex] || null,
          };
          submitMove(event.item, event.to.dataset.target);
        },
      });
    });
  }

  function openDialog() {
    const dialog = document.getElementById("move-dialog");
    if (!dialog || dialog.open) return;
    dialog.addEventListener("close", function () {
      // A dialog replaced by the server's answer is no cancellation.
      if (!dialog.isConnected) return;
      dialog.remove();
      putBack();
    });
    dialog.querySelector(".dialog-cancel").addEventListener("click", function () {
      dialog.close();
    });
    dialog.showModal();
    const first = dialog.querySelector("[aria-invalid=true], input:not([type=hidden]), select, textarea");
    if (first) first.focus();
  }

  htmx.onLoad(function (root) {
    initBoard(root);
    openDialog();
  });

  // The server confirmed a move: the card goes to the top of its new column, or leaves the board.
  document.addEventListener("dealMoved", function (event) {
    const detail = event.detail;
    pending = null;
    const card = document.getElementById("deal-" + detail.deal);
    if (!card) return;
    if (!detail.open) {
      card.remove();
      return;
    }
    const list = document.querySelector("#col-" + detail.stage + " .board-cards");
    if (list && card.parentNode !== list) list.insertBefore(card, list.firstChild);
    if (list) list.querySelectorAll(".board-empty").forEach(function (el) { el.remove(); });
    card.focus();
  });

  // The server refused the move and sent the affected columns as they now stand.
  document.addEventListener("boardRefreshed", function () {
    pending = null;
  });
})();
