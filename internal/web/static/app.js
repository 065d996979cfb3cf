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

  // Forms that take a moment (onboarding): the submit button says so and
  // cannot be pressed twice.
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var submit = form.querySelector("button[type=submit]");
      if (!submit) return;
      submit.textContent = form.getAttribute("data-busy");
      window.setTimeout(function () { submit.disabled = true; }, 0);
    });
  });

  // Device list selection: a checkbox for the whole page, a count of the
  // selected devices, and the action menu's items usable only once
  // something is selected. "Select all matching" sends the list's filters,
  // not the ids: without this script the boxes and that choice still work.
  document.querySelectorAll("form[data-bulk]").forEach(function (form) {
    var page = form.querySelector("#select-page");
    var all = form.querySelector("#select-all-matching");
    var status = form.querySelector("#selected-count");
    var rows = [].slice.call(form.querySelectorAll('input[type=checkbox][name="device"]'));
    var actions = [].slice.call(form.querySelectorAll("[data-needs-selection]"));
    if (!page || !all) return;
    page.hidden = false;
    var update = function () {
      var n = rows.filter(function (r) { return r.checked; }).length;
      page.checked = n > 0 && n === rows.length;
      page.indeterminate = n > 0 && n < rows.length;
      rows.forEach(function (r) { r.disabled = all.checked; });
      if (status) {
        status.hidden = !all.checked && n === 0;
        status.textContent = all.checked ? status.getAttribute("data-all") : status.getAttribute("data-label") + " " + n;
      }
      actions.forEach(function (a) { a.disabled = !all.checked && n === 0; });
    };
    page.addEventListener("change", function () {
      rows.forEach(function (r) { r.checked = page.checked; });
      update();
    });
    all.addEventListener("change", function () {
      if (all.checked) rows.forEach(function (r) { r.checked = true; });
      update();
    });
    rows.forEach(function (r) { r.addEventListener("change", update); });
    update();
  });

  // Device commands: follow the state from the command's JSON until the
  // device has applied it or failed, without reloading the page. The
  // server-side <noscript> refresh covers browsers without JavaScript.
  document.querySelectorAll("[data-command-url]").forEach(function (box) {
    if (box.getAttribute("data-done") === "true" || !window.fetch) return;
    var url = box.getAttribute("data-command-url");
    var state = box.querySelector("#command-state");
    var result = box.querySelector("#command-result");
    var resultText = box.querySelector("#command-result-text");
    var refresh = box.querySelector("#command-refresh");
    var started = Date.now();
    var failures = 0;
    var show = function (c) {
      state.textContent = c.state_label;
      state.setAttribute("data-state", c.state);
      box.classList.remove("info", "success", "error");
      box.classList.add(c.state === "applied" ? "success" : c.state === "failed" ? "error" : "info");
      if (c.result) {
        resultText.textContent = c.result;
        result.hidden = false;
      }
      if (c.done) {
        box.setAttribute("data-done", "true");
        if (refresh) refresh.hidden = false;
      }
    };
    var tick = function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
        .then(function (r) {
          if (!r.ok) throw new Error("status " + r.status);
          return r.json();
        })
        .then(function (c) {
          failures = 0;
          show(c);
          if (!c.done) next();
        }, function () {
          failures++;
          if (failures < 10) next();
        });
    };
    // Every second for two minutes, then every five seconds for an hour.
    var next = function () {
      var age = Date.now() - started;
      if (age > 3600000) return;
      window.setTimeout(tick, age < 120000 ? 1000 : 5000);
    };
    next();
  });
})();
