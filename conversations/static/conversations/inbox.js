// The conversation page: keep the newest messages in view, keep the reading position when older
// messages load above, Ctrl+Enter sends. htmx does the requests; this only scrolls and focuses.
// The history scrolls in its own box on wide screens and with the page on a phone.
(function () {
  "use strict";
  function scroller() {
    var box = document.getElementById("chat-history");
    if (box && getComputedStyle(box).overflowY !== "visible") { return box; }
    return document.scrollingElement || document.documentElement;
  }
  function pageScrolls(el) { return el.id !== "chat-history"; }
  function atBottom(el) {
    if (pageScrolls(el)) {  // the newest message is in view
      var reply = document.getElementById("reply-form");
      var room = window.innerHeight - (reply ? reply.offsetHeight : 0);
      return document.getElementById("chat-history").getBoundingClientRect().bottom <= room + 60;
    }
    return el.scrollHeight - el.scrollTop - el.clientHeight < 60;
  }
  function toBottom() {
    var el = scroller();
    if (pageScrolls(el)) {  // the newest message just above the (sticky) reply box, the customer panel below
      var reply = document.getElementById("reply-form");
      var room = window.innerHeight - (reply ? reply.offsetHeight : 0);
      var end = document.getElementById("chat-history").getBoundingClientRect().bottom;
      window.scrollTo(0, window.scrollY + end - room + 8);
    } else {
      el.scrollTop = el.scrollHeight;
    }
  }

  var stickToBottom = true;
  var fromBottomBeforeOlder = null;

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.getElementById("chat-history")) { return; }
    toBottom();
    var onScroll = function () { stickToBottom = atBottom(scroller()); };
    document.getElementById("chat-history").addEventListener("scroll", onScroll);
    window.addEventListener("scroll", onScroll);
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!document.getElementById("chat-history")) { return; }
    var el = scroller();
    if (event.detail.target && event.detail.target.classList.contains("chat-older")) {
      fromBottomBeforeOlder = el.scrollHeight - el.scrollTop;
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!document.getElementById("chat-history")) { return; }
    var el = scroller();
    if (fromBottomBeforeOlder !== null) {
      el.scrollTop = el.scrollHeight - fromBottomBeforeOlder;
      fromBottomBeforeOlder = null;
    } else if (stickToBottom) {
      toBottom();
    }
    if (event.detail.elt && event.detail.elt.id === "reply-form") {
      var text = document.getElementById("reply-text");
      if (text) { text.focus(); }
      stickToBottom = true;
      toBottom();
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.target.id === "reply-text" && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  });
})();
