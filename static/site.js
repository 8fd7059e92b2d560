// Progressive enhancement only: every page works without this script.
// 1. Search filters and sort apply as soon as they change (the "Apply filters" button stays for keyboards and no-JS).
// 2. Code examples get a "Copy" button.
// 3. File uploads show their progress; 4. the search box suggests as one types (below).
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

// 3. File uploads on the curation pages show their progress: the chosen file is sent by XMLHttpRequest as the request
//    body (streamed by the server, with the form's CSRF token in a header), and the page it leads to is then opened.
//    Without the script the form posts as multipart, as is.
(function () {
  "use strict";
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var box = form.querySelector(".upload-progress");
    var bar = form.querySelector("progress");
    var percent = form.querySelector(".upload-percent");
    var input = form.querySelector('input[type="file"]');
    if (!box || !bar || !input || !window.XMLHttpRequest) return;
    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      if (!file) return;
      event.preventDefault();
      var query = new URLSearchParams();
      query.set("name", file.name);
      var title = form.elements.namedItem("file_title");
      if (title && title.value) query.set("title", title.value);
      var format = form.elements.namedItem("format");
      if (format && format.value) query.set("format", format.value);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("data-upload") + "?" + query.toString());
      xhr.setRequestHeader("X-CSRF-Token", form.elements.namedItem("csrf").value);
      xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
      box.hidden = false;
      var button = form.querySelector('button[type="submit"]');
      if (button) button.disabled = true;
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var p = Math.round((e.loaded / e.total) * 100);
        bar.value = p;
        bar.textContent = p + " %";
        percent.textContent = p + " %";
      });
      xhr.addEventListener("load", function () {
        // Redirects were followed: show where they led (the dataset with its checksum).
        if (xhr.status < 400 && xhr.responseURL) {
          window.location.assign(xhr.responseURL);
        } else {
          // A refusal (a bad CSV line, too large) is shown by posting the form the ordinary way.
          form.submit();
        }
      });
      xhr.addEventListener("error", function () {
        if (button) button.disabled = false;
        percent.textContent = "!";
      });
      xhr.send(file);
    });
  });
})();

// 4. The search box suggests as one types: code items (provinces, communes, agencies) and datasets from
//    /api/v1/search/suggest, as links under the box. Without the script the search page lists the same suggestions
//    when a search finds nothing with all its words.
(function () {
  "use strict";
  var input = document.querySelector("input[data-suggest]");
  var box = document.getElementById("suggestions");
  var status = document.getElementById("suggestions-status");
  if (!input || !box || !window.fetch) return;
  var timer = null;
  var asked = "";
  function render(data) {
    box.textContent = "";
    var items = [];
    (data.codes || []).forEach(function (c) {
      var label = (document.documentElement.lang === "en" ? (c.label.en || c.label.vi) : (c.label.vi || c.label.en)) || c.code;
      var kind = c.status === "valid" ? "" : box.getAttribute("data-closed");
      items.push({ href: "/registry/" + encodeURIComponent(c.list) + "/" + encodeURIComponent(c.code), text: label + " (" + c.code + ")", kind: kind, code: true });
    });
    (data.datasets || []).forEach(function (d) {
      var title = (document.documentElement.lang === "en" ? (d.title.en || d.title.vi) : (d.title.vi || d.title.en)) || d.id;
      items.push({ href: "/dataset/" + encodeURIComponent(d.id), text: title, kind: box.getAttribute("data-dataset") });
    });
    if (status) status.textContent = items.length ? box.getAttribute("data-shown").replace("{n}", items.length) : "";
    if (!items.length) return;
    var heading = document.createElement("h2");
    heading.id = "suggestions-heading";
    heading.textContent = box.getAttribute("data-heading");
    var list = document.createElement("ul");
    list.setAttribute("aria-labelledby", "suggestions-heading");
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.href;
      a.textContent = item.text;
      if (item.code) a.className = "suggestion-code";
      li.appendChild(a);
      if (item.kind) {
        var kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = " " + item.kind;
        li.appendChild(document.createTextNode(" "));
        li.appendChild(kind);
      }
      list.appendChild(li);
    });
    box.appendChild(heading);
    box.appendChild(list);
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = input.value;
      if (q.trim().length < 2) { box.textContent = ""; asked = ""; return; }
      if (q === asked) return;
      asked = q;
      fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data && q === asked) render(data); })
        .catch(function () {});
    }, 150);
  });
})();
