// Progressive enhancement only: every page works without this script.
(function () {
  "use strict";

  // Drop-down menus (<details>): close on Escape or a click elsewhere.
  document.addEventListener("click", function (e) {
    document.querySelectorAll("details.menu[open]").forEach(function (d) {
      if (!d.contains(e.target)) d.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (d) {
      d.removeAttribute("open");
      var s = d.querySelector("summary");
      if (s && d.contains(document.activeElement)) s.focus();
    });
  });

  // Copy buttons for secrets shown once.
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    var input = document.getElementById(btn.getAttribute("data-copy"));
    if (!input || !navigator.clipboard) return;
    btn.hidden = false;
    btn.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        btn.textContent = btn.getAttribute("data-copied") || btn.textContent;
      }, function () {
        input.select();
      });
    });
  });

  // Destructive confirmations: the button is enabled once the typed id
  // matches (where one is asked for) and the risk is acknowledged. The
  // server checks both anyway.
  document.querySelectorAll("form[data-confirm-form]").forEach(function (form) {
    var input = form.querySelector("[data-expected]");
    var box = form.querySelector("input[type=checkbox]");
    var submit = form.querySelector("button[type=submit]");
    if (!box || !submit) return;
    var update = function () {
      submit.disabled = !((!input || input.value === input.getAttribute("data-expected")) && box.checked);
    };
    if (input) input.addEventListener("input", update);
    box.addEventListener("change", update);
    update();
  });
})();
