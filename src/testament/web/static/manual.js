// Manual runs: keyboard shortcuts and dropping files on a step. Progressive enhancement only:
// every action is a plain form that works without this file (and without htmx).
//   P / F / B / U  set the outcome of the current step (its radio; its form saves on change)
//   J / K          move to the next / previous step
// Shortcuts never fire while typing in a field, nor with a modifier key held.
(function () {
  "use strict";

  function steps() {
    return Array.prototype.slice.call(document.querySelectorAll("article.mstep"));
  }

  var current = null;

  function setCurrent(step, focus) {
    if (!step) return;
    if (current) current.classList.remove("is-current");
    current = step;
    step.classList.add("is-current");
    if (focus) {
      step.focus({ preventScroll: true });
      step.scrollIntoView({ block: "nearest" });
    }
  }

  function firstOpenStep() {
    var all = steps();
    for (var i = 0; i < all.length; i++) {
      var checked = all[i].querySelector("input[name=outcome]:checked");
      if (!checked || checked.value === "NotRun") return all[i];
    }
    return all[0] || null;
  }

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || target.isContentEditable) return true;
    if (tag !== "input") return false;
    var type = (target.type || "").toLowerCase();
    return ["radio", "checkbox", "button", "submit", "reset", "file"].indexOf(type) < 0;
  }

  function move(by) {
    var all = steps();
    if (!all.length) return;
    var at = all.indexOf(current);
    var next = at < 0 ? (by > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + by));
    setCurrent(all[next], true);
  }

  function choose(key) {
    if (!current) setCurrent(firstOpenStep(), false);
    if (!current) return false;
    var radio = current.querySelector("input[name=outcome][data-key='" + key + "']");
    if (!radio || radio.disabled) return false;
    if (!radio.checked) radio.click(); // a click checks it and fires change: the form saves
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (isTyping(event.target)) return;
    var key = (event.key || "").toUpperCase();
    if (key === "J" || key === "K") {
      move(key === "J" ? 1 : -1);
      event.preventDefault();
    } else if ("PFBU".indexOf(key) >= 0 && key.length === 1) {
      if (choose(key)) event.preventDefault();
    }
  });

  // The step holding the focus (a click or Tab into it) becomes the current one.
  document.addEventListener("focusin", function (event) {
    var step = event.target && event.target.closest ? event.target.closest("article.mstep") : null;
    if (step) setCurrent(step, false);
  });

  // Dropping files on a step's attach form puts them in its file input and submits it.
  function wireDrop(form) {
    var input = form.querySelector("input[type=file]");
    var hint = form.querySelector(".mdrop-hint");
    if (!input) return;
    if (hint) hint.hidden = false;
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (event) {
        event.preventDefault();
        form.classList.add("is-dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      form.addEventListener(name, function () {
        form.classList.remove("is-dragging");
      });
    });
    form.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form.mdrop"), wireDrop);
    var target = null;
    try {
      target = location.hash ? document.querySelector(location.hash + ".mstep") : null;
    } catch (e) {
      target = null; // a hash that is not a selector
    }
    setCurrent(target || firstOpenStep(), false);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
