// Pledge batch page (批量打印): poll the batch's progress while it is generated and reload the page
// when it has finished. The text comes from the page (data-text with {done} and {total}).
(function () {
  "use strict";

  var box = document.querySelector("[data-testid=batch-progress][data-poll]");
  if (!box) { return; }
  var text = box.querySelector("[data-testid=progress-text]");
  var bar = box.querySelector("[data-testid=progress-bar]");
  var template = text.getAttribute("data-text") || "";
  function poll() {
    fetch(box.getAttribute("data-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (p) {
        text.textContent = template.replace("{done}", p.done).replace("{total}", p.total);
        bar.style.width = p.percent + "%";
        if (p.finished) { window.location.reload(); } else { setTimeout(poll, 1500); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1500);
})();
