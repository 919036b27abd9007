// Platform batch page: poll the build's progress (percent of rows checked and written, then written to the files) and reload the page when the
// build has finished, like the pledge-batch page. The text comes from the page (data-text, with
// {percent}, {done} and {total}), so nothing user-facing is written here.
// A form marked data-reload-after (导出并下载) answers with a file download and leaves the page as
// it was: reload it shortly after so that the new status and buttons show.
(function () {
  "use strict";

  var box = document.querySelector("[data-batch-progress]");
  if (box) {
    var text = box.querySelector("[data-progress-text]");
    var bar = box.querySelector("[data-progress-bar]");
    var template = text ? text.getAttribute("data-text") : "";
    var poll = function () {
      fetch(box.getAttribute("data-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (p) {
          if (text && template) {
            text.textContent = template.replace("{percent}", p.percent).replace("{done}", p.done).replace("{total}", p.total);
          }
          if (bar) {
            bar.style.width = p.percent + "%";
            bar.parentNode.setAttribute("aria-valuenow", p.percent);
          }
          if (p.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    setTimeout(poll, 1000);
  }

  document.querySelectorAll("form[data-reload-after]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) { setTimeout(function () { button.disabled = true; }, 0); }
      setTimeout(function () { window.location.reload(); }, parseInt(form.getAttribute("data-reload-after"), 10) || 2000);
    });
  });
})();
