/* Runs pages: progressive enhancement (every page works without it).
   - `/` focuses the list's filter.
   - A run followed live (htmx's SSE extension on #run-live): drops a record the page already
     holds (ids record-<seq>), carries the last seq into the stream's URL so a reconnect resumes
     after it, follows new steps only while the reader is at the bottom, and keeps the "live"
     marker saying whether the stream is connected. */
(function () {
  "use strict";

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var filter = document.querySelector("[data-filter-focus]");
    if (filter) {
      event.preventDefault();
      var folded = filter.closest("details");
      if (folded) folded.open = true;
      filter.focus();
      if (filter.select) filter.select();
    }
  });

  function marker(state, text) {
    var element = document.getElementById("live-marker");
    if (!element) return;
    element.setAttribute("data-state", state);
    var label = element.querySelector(".live-text");
    if (label) label.textContent = text;
  }

  function atBottom() {
    return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 48;
  }

  var follow = false;

  document.addEventListener("htmx:sseOpen", function () {
    marker("on", "Live: new steps appear as they are written");
  });
  document.addEventListener("htmx:sseError", function () {
    marker("off", "Disconnected: reconnecting…");
  });
  document.addEventListener("htmx:sseClose", function (event) {
    var detail = event.detail || {};
    if (detail.type === "message") marker("done", "Finished");
  });

  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    var message = event.detail;
    if (!message || message.type !== "record") return;
    if (message.lastEventId && document.getElementById("record-" + message.lastEventId)) {
      event.preventDefault(); // already on the page (a reconnect sent it again)
      return;
    }
    follow = atBottom();
  });

  document.addEventListener("htmx:sseMessage", function (event) {
    var message = event.detail;
    if (!message || message.type !== "record" || !message.lastEventId) return;
    var live = document.getElementById("run-live");
    var base = live && live.getAttribute("data-stream");
    if (base) live.setAttribute("sse-connect", base + "?after=" + message.lastEventId);
    var empty = document.getElementById("no-steps");
    if (empty) empty.remove();
    if (follow) {
      var added = document.getElementById("record-" + message.lastEventId);
      if (added) added.scrollIntoView({ block: "end" });
    }
  });
})();
