// Bulk signing page (批量登记签署): number the picked pledges as the pages of the one PDF, or match the
// chosen scan files to them by the tokens of their names; the texts come from the form's data-* attributes.
(function () {
  "use strict";

  var form = document.getElementById("bulk-form");
  if (!form) { return; }
  var rows = Array.from(form.querySelectorAll("[data-testid=bulk-row]"));
  var pdf = document.getElementById("bulk-scan-pdf");
  var files = document.getElementById("bulk-scan-files");
  var pageText = form.getAttribute("data-page-text") || "{page}";
  var missingText = form.getAttribute("data-missing-text") || "";
  var busyText = form.getAttribute("data-busy-text") || "";
  function tokens(name) {
    var stem = name.replace(/^.*[\\/]/, "");
    if (stem.indexOf(".") >= 0) { stem = stem.slice(0, stem.lastIndexOf(".")); }
    return (stem.match(/[0-9A-Za-z]+/g) || []).map(function (t) { return t.toUpperCase(); });
  }
  function refresh() {
    var byPdf = document.getElementById("mode-pdf").checked;
    var page = 0;
    rows.forEach(function (row) {
      var picked = row.querySelector(".bulk-pick").checked;
      var cell = row.querySelector(".bulk-file");
      row.querySelector(".bulk-page").textContent = picked ? String(++page) : "";
      cell.textContent = "";
      if (!picked) { return; }
      if (byPdf) {
        cell.textContent = pdf.files.length ? pageText.replace("{page}", page) : "";
      } else {
        var keys = row.getAttribute("data-keys").split(" ");
        var hit = Array.from(files.files).filter(function (f) {
          return tokens(f.name).some(function (t) { return keys.indexOf(t) >= 0; });
        });
        cell.textContent = hit.length ? hit.map(function (f) { return f.name; }).join("、") : (files.files.length ? missingText : "");
        cell.classList.toggle("text-danger", files.files.length > 0 && hit.length !== 1);
      }
    });
  }
  form.addEventListener("change", refresh);
  document.getElementById("bulk-all").addEventListener("change", function (e) {
    rows.forEach(function (row) { row.querySelector(".bulk-pick").checked = e.target.checked; });
    refresh();
  });
  pdf.addEventListener("change", function () { if (pdf.files.length) { document.getElementById("mode-pdf").checked = true; } refresh(); });
  files.addEventListener("change", function () { if (files.files.length) { document.getElementById("mode-files").checked = true; } refresh(); });
  form.addEventListener("submit", function () {
    var button = form.querySelector("[data-testid=bulk-submit]");
    setTimeout(function () { button.disabled = true; button.textContent = busyText; }, 0);
  });
  refresh();
})();
