// Event form: show only the special fields the chosen type uses (data-event-field groups).
// Hidden fields are disabled so they are not submitted; without JS every field stays
// visible and the server rejects a field the type does not use.
(function () {
  "use strict";
  var form = document.getElementById("event-form");
  var spec = document.getElementById("event-type-fields");
  if (!form || !spec) return;
  var rules = JSON.parse(spec.textContent);
  var typeSelect = form.querySelector("select[name=type]");
  var groups = form.querySelectorAll("[data-event-field]");

  function update() {
    var type = typeSelect.value;
    var allowed = rules.allowed[type] || [];
    var required = rules.required[type] || [];
    groups.forEach(function (group) {
      var name = group.getAttribute("data-event-field");
      var show = allowed.indexOf(name) !== -1;
      group.hidden = !show;
      group.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = !show;
      });
      group.classList.toggle("event-required", required.indexOf(name) !== -1);
    });
  }

  typeSelect.addEventListener("change", update);
  update();
})();
