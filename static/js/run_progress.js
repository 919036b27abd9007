// Rating run page: poll the run's progress while it is active and reload the page when it ends.
// The texts come from the page (data-text with {done} and {total}).
(function () {
  "use strict";

  var box = document.querySelector("[data-testid=run-progress][data-active='1']");
  if (!box) { return; }
  var text = box.querySelector("[data-testid=progress-text]");
  var chunks = box.querySelector("[data-testid=progress-chunks]");
  var bar = box.querySelector("[data-testid=progress-bar]");
  function fill(el, done, total) {
    el.textContent = (el.getAttribute("data-text") || "").replace("{done}", done).replace("{total}", total);
  }
  function poll() {
    fetch(box.getAttribute("data-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (p) {
        fill(text, p.done.toLocaleString("en-US"), p.total.toLocaleString("en-US"));
        fill(chunks, p.chunks_done, p.chunks_total);
        bar.style.width = p.percent + "%";
        if (p.active) { setTimeout(poll, 2000); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 2000);
})();
