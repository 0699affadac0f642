// The conversation page: keep the newest messages in view, keep the reading position when older
// messages load above, Ctrl+Enter sends. htmx does the requests; this only scrolls and focuses.
(function () {
  "use strict";
  function history() { return document.getElementById("chat-history"); }
  function atBottom(box) { return box.scrollHeight - box.scrollTop - box.clientHeight < 40; }
  function toBottom() { var box = history(); if (box) { box.scrollTop = box.scrollHeight; } }

  var stickToBottom = true;
  var heightBeforeOlder = null;

  document.addEventListener("DOMContentLoaded", function () {
    toBottom();
    var box = history();
    if (box) {
      box.addEventListener("scroll", function () { stickToBottom = atBottom(box); });
    }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var box = history();
    if (!box) { return; }
    if (event.detail.target && event.detail.target.classList.contains("chat-older")) {
      heightBeforeOlder = box.scrollHeight - box.scrollTop;
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var box = history();
    if (!box) { return; }
    if (heightBeforeOlder !== null) {
      box.scrollTop = box.scrollHeight - heightBeforeOlder;
      heightBeforeOlder = null;
    } else if (stickToBottom) {
      toBottom();
    }
    if (event.detail.elt && event.detail.elt.id === "reply-form") {
      var text = document.getElementById("reply-text");
      if (text) { text.focus(); }
      stickToBottom = true;
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.target.id === "reply-text" && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  });
})();
