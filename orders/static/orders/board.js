// The orders board refreshes itself: every few seconds it fetches its columns again and swaps them
// in, unless the page is hidden or the user is pressing a button. Moves are plain form posts.
(function () {
  "use strict";
  var board = document.getElementById("order-board");
  if (!board) return;
  var url = board.getAttribute("data-refresh-url");
  var seconds = parseInt(board.getAttribute("data-refresh-seconds"), 10) || 20;
  var busy = false;

  board.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = button && button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    busy = true;
  });

  function refresh() {
    if (busy || document.hidden) return;
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && !busy) {
          board.innerHTML = html;
          board.setAttribute("data-refreshed-at", String(Date.now()));
        }
      })
      .catch(function () { /* offline for a moment: the next tick tries again */ });
  }

  window.setInterval(refresh, seconds * 1000);
})();
