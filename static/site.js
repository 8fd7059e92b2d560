// Progressive enhancement only: every page works without this script.
// 1. Search filters and sort apply as soon as they change (the "Apply filters" button stays for keyboards and no-JS).
// 2. Code examples get a "Copy" button.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.matches('input[type="checkbox"], select')) {
        if (typeof form.requestSubmit === "function") {
          form.requestSubmit();
        } else {
          form.submit();
        }
      }
    });
  });

  var body = document.body;
  var copyLabel = body.getAttribute("data-copy-label") || "Copy";
  var copiedLabel = body.getAttribute("data-copied-label") || "Copied";
  if (navigator.clipboard) {
    document.querySelectorAll("pre[data-copy]").forEach(function (pre) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy-button";
      button.textContent = copyLabel;
      var status = document.createElement("span");
      status.className = "visually-hidden";
      status.setAttribute("role", "status");
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(pre.textContent).then(function () {
          button.textContent = copiedLabel;
          status.textContent = copiedLabel;
          setTimeout(function () {
            button.textContent = copyLabel;
            status.textContent = "";
          }, 2000);
        });
      });
      var wrapper = document.createElement("div");
      wrapper.className = "code-wrapper";
      pre.parentNode.insertBefore(wrapper, pre);
      wrapper.appendChild(pre);
      wrapper.appendChild(button);
      wrapper.appendChild(status);
    });
  }
})();
