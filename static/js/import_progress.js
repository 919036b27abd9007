// Import job page: poll the job's progress (rows read, checked, written; the phase) and reload the page
// when the import has finished, to show its result. The words come from the server (phase_label), so
// nothing user-facing is written here.
(function () {
  "use strict";

  var box = document.querySelector("[data-import-progress]");
  if (!box) { return; }
  var fields = document.querySelectorAll("[data-field]");
  var poll = function () {
    fetch(box.getAttribute("data-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (p) {
        if (p.finished) { window.location.reload(); return; }
        if (p.state === "queued") { p.phase_label = p.state_label; }
        fields.forEach(function (el) {
          var value = p[el.getAttribute("data-field")];
          if (value !== undefined) { el.textContent = value; }
        });
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  };
  setTimeout(poll, 1000);
})();
