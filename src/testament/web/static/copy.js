// A "Copy" button beside each field marked data-copy (progressive enhancement: without this
// script the fields are still there to select and copy by hand).
(function () {
  "use strict";
  function enhance() {
    document.querySelectorAll("input[data-copy]").forEach(function (field) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button-quiet copy-button";
      var label = field.labels && field.labels[0] ? field.labels[0].textContent : "value";
      button.textContent = "Copy";
      button.setAttribute("aria-label", "Copy the " + label.toLowerCase());
      button.addEventListener("click", function () {
        field.select();
        var done = function () { button.textContent = "Copied"; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
        } else {
          document.execCommand("copy");
          done();
        }
      });
      field.insertAdjacentElement("afterend", button);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhance);
  } else {
    enhance();
  }
})();
