// On every page (base.html). The Content-Security-Policy allows no inline script or style, so what
// templates used to write inline is done here:
// - [data-width="37.5"]: a progress bar's width in percent (was style="width: …%");
// - form[data-reload-on-submit="1500"]: a form that opens its answer in a new tab (print) reloads this
//   page after that many milliseconds, so the new state shows (was onsubmit="setTimeout(…)");
// - a[data-history-back]: back to the previous page (was href="javascript:history.back()"), else its href.
(function () {
  "use strict";

  document.querySelectorAll("[data-width]").forEach(function (el) {
    var value = parseFloat(el.getAttribute("data-width"));
    if (!isNaN(value)) { el.style.width = Math.max(0, Math.min(100, value)) + "%"; }
  });

  document.querySelectorAll("form[data-reload-on-submit]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var delay = parseInt(form.getAttribute("data-reload-on-submit"), 10) || 1500;
      setTimeout(function () { window.location.reload(); }, delay);
    });
  });

  document.querySelectorAll("a[data-history-back]").forEach(function (link) {
    link.addEventListener("click", function (e) {
      if (window.history.length > 1) { e.preventDefault(); window.history.back(); }
    });
  });
})();
