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

  // Users page: "select all", a count of the selected members, and Remove
  // usable only once someone is selected. Without this script the boxes
  // work and Remove with none selected says to select someone first.
  document.querySelectorAll("form[data-member-selection]").forEach(function (form) {
    var all = form.querySelector("#select-all-members");
    var rows = [].slice.call(form.querySelectorAll('input[type=checkbox][name="user"]'));
    var submit = form.querySelector("#remove-selected");
    var hint = form.querySelector("#remove-hint");
    var status = form.querySelector("#members-selected");
    if (!all || !submit) return;
    all.hidden = false;
    var update = function () {
      var n = rows.filter(function (r) { return r.checked; }).length;
      all.checked = n > 0 && n === rows.length;
      all.indeterminate = n > 0 && n < rows.length;
      submit.disabled = n === 0;
      if (hint) hint.hidden = n > 0;
      if (status) {
        status.hidden = n === 0;
        status.textContent = status.getAttribute("data-label") + " " + n;
      }
    };
    all.addEventListener("change", function () {
      rows.forEach(function (r) { r.checked = all.checked; });
      update();
    });
    rows.forEach(function (r) { r.addEventListener("change", update); });
    update();
  });

  // Roles and access: the hint follows the chosen role, and the folder
  // boxes are disabled for the roles that see every folder (Owner, Admin).
  // The server draws both for the role it shows.
  document.querySelectorAll("select#role").forEach(function (role) {
    var form = role.form;
    if (!form) return;
    var hints = [].slice.call(form.querySelectorAll("[data-role-hint]"));
    var set = form.querySelector("fieldset[data-role-folders]");
    var update = function () {
      hints.forEach(function (h) { h.hidden = h.getAttribute("data-role-hint") !== role.value; });
      if (!set || role.disabled) return;
      var all = role.value === "owner" || role.value === "admin";
      set.querySelectorAll('input[type=checkbox][name="folders"]').forEach(function (b) { b.disabled = all; });
      var locked = set.querySelector("#folders-locked");
      if (locked) locked.disabled = !all;
      var note = set.querySelector("#folders-all");
      if (note) note.hidden = !all;
    };
    role.addEventListener("change", update);
    update();
  });

  // Recovery codes: copy them, or download them as a text file, made here
  // from the page's list (no request: the codes are shown only once).
  document.querySelectorAll("[data-recovery-codes]").forEach(function (box) {
    var list = box.querySelector("ol.codes");
    var copy = box.querySelector("#recovery-copy");
    var download = box.querySelector("#recovery-download");
    var actions = box.querySelector("#recovery-actions");
    if (!list || !actions) return;
    var text = function () {
      var lines = [box.getAttribute("data-heading") || ""];
      list.querySelectorAll("li").forEach(function (li) { lines.push(li.textContent.trim()); });
      return lines.join("\r\n") + "\r\n";
    };
    var done = function (btn) {
      var label = btn.getAttribute("data-done");
      if (label) btn.textContent = label;
    };
    if (copy && navigator.clipboard && window.isSecureContext) {
      copy.hidden = false;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(text()).then(function () { done(copy); }, function () {
          var range = document.createRange();
          range.selectNodeContents(list);
          var sel = window.getSelection();
          sel.removeAllRanges();
          sel.addRange(range);
        });
      });
    }
    if (download && window.Blob && window.URL && URL.createObjectURL) {
      download.hidden = false;
      download.addEventListener("click", function () {
        var url = URL.createObjectURL(new Blob([text()], { type: "text/plain;charset=utf-8" }));
        var a = document.createElement("a");
        a.href = url;
        a.download = download.getAttribute("data-filename") || "recovery-codes.txt";
        a.hidden = true;
        document.body.appendChild(a);
        a.click();
        document.body.removeChild(a);
        window.setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
        done(download);
      });
    }
    actions.hidden = (!copy || copy.hidden) && (!download || download.hidden);
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
  // Upgrade tasks: refresh the rows' state and progress from the list's
  // JSON every few seconds while any is unfinished. Without JavaScript the
  // page reloads itself (the view's Refresh).
  document.querySelectorAll("table[data-live-url]").forEach(function (table) {
    if (!window.fetch) return;
    var url = table.getAttribute("data-live-url");
    var note = document.getElementById("tasks-live");
    var failures = 0;
    var started = Date.now();
    var unfinished = function () {
      return table.querySelectorAll("tr[data-task-id]:not([data-done])").length > 0;
    };
    var set = function (el, text) {
      if (!el) return;
      el.textContent = text || "";
      el.hidden = !text;
    };
    table.querySelectorAll("tr[data-task-id]").forEach(function (row) {
      var s = row.getAttribute("data-state");
      if (s === "succeeded" || s === "failed" || s === "canceled") row.setAttribute("data-done", "");
    });
    var show = function (t) {
      var row = table.querySelector('tr[data-task-id="' + t.id + '"]');
      if (!row) return;
      row.setAttribute("data-state", t.state);
      if (t.done) row.setAttribute("data-done", "");
      var badge = row.querySelector(".badge.state");
      if (badge) {
        badge.textContent = t.state_label;
        badge.setAttribute("data-state", t.state);
        badge.className = "badge state state-" + t.state;
      }
      set(row.querySelector(".progress-text"), t.progress);
      set(row.querySelector(".waiting"), t.waiting);
      var reason = row.querySelector(".reason");
      if (reason) {
        reason.hidden = !t.reason;
        set(reason.querySelector(".reason-text"), t.reason);
        var quote = reason.querySelector(".device-quote");
        if (quote) {
          quote.hidden = !t.device_words;
          var words = quote.querySelector(".device-words");
          if (words) words.textContent = t.device_words || "";
        }
      }
      var bar = row.querySelector("progress.task-progress");
      if (bar) {
        bar.value = t.percent;
        bar.textContent = String(t.percent);
        bar.hidden = !t.show_percent;
      }
      var fin = row.querySelector(".finished");
      if (fin) {
        set(fin.querySelector(".finished-at"), t.finished);
        fin.hidden = !t.finished;
      }
      var cancel = row.querySelector(".task-cancel");
      if (cancel) cancel.hidden = !t.can_cancel;
      var retry = row.querySelector(".task-retry");
      if (retry) retry.hidden = !t.can_retry;
    };
    var tick = function () {
      var q = [];
      table.querySelectorAll("tr[data-task-id]:not([data-done])").forEach(function (row) {
        q.push("id=" + encodeURIComponent(row.getAttribute("data-task-id")));
      });
      fetch(url + "?" + q.join("&"), { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
        .then(function (r) {
          if (!r.ok) throw new Error("status " + r.status);
          return r.json();
        })
        .then(function (list) {
          failures = 0;
          (list.items || []).forEach(show);
          next();
        }, function () {
          failures++;
          if (failures < 10) next();
        });
    };
    // Every two seconds, while a task is unfinished, for up to a day.
    var next = function () {
      if (!unfinished() || Date.now() - started > 86400000) {
        if (note) note.hidden = true;
        return;
      }
      if (note) note.hidden = false;
      window.setTimeout(tick, 2000);
    };
    next();
  });
  // Software scheduling: the window editor shows only for a maintenance
  // window, starts from the browser's time zone when the server knew none,
  // and previews the window's next occurrence as it is edited. Without
  // JavaScript the Preview button asks the server.
  document.querySelectorAll("form[data-preview-url]").forEach(function (form) {
    var editor = form.querySelector("#window-editor");
    var out = form.querySelector("#window-next");
    var zone = form.querySelector("#time_zone");
    var button = form.querySelector("#window-preview");
    if (!editor || !out) return;
    if (zone && zone.getAttribute("data-guessed") === "true" && window.Intl) {
      try {
        var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
        if (tz) zone.value = tz;
      } catch (e) { /* keep the server's default */ }
    }
    var mode = function () {
      var m = form.querySelector("input[name=mode]:checked");
      return m ? m.value : "";
    };
    var showEditor = function () { editor.hidden = mode() !== "window"; };
    form.querySelectorAll("input[name=mode]").forEach(function (r) { r.addEventListener("change", showEditor); });
    showEditor();
    if (!window.fetch || !window.URLSearchParams) return;
    if (button) button.hidden = true;
    var timer = 0;
    var seq = 0;
    var preview = function () {
      var q = new URLSearchParams();
      form.querySelectorAll("input[name=days]:checked").forEach(function (d) { q.append("days", d.value); });
      ["start", "duration_hours", "duration_minutes", "time_zone"].forEach(function (n) {
        var el = form.querySelector("[name=" + n + "]");
        if (el) q.set(n, el.value);
      });
      var mine = ++seq;
      fetch(form.getAttribute("data-preview-url") + "?" + q.toString(),
        { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (a) {
          if (mine !== seq) return;
          out.textContent = a.next || a.error || "";
          out.classList.toggle("field-error", !a.next);
        }, function () { /* keep the last preview */ });
    };
    editor.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(preview, 250);
    });
    editor.addEventListener("change", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(preview, 50);
    });
    preview();
  });
  // A rollout's page: its rings' progress follows live; a change of state
  // (a pause for failures, the soak's end) reloads the page for its
  // actions.
  document.querySelectorAll("[data-rollout-url]").forEach(function (facts) {
    if (facts.getAttribute("data-done") === "true" || !window.fetch) return;
    var url = facts.getAttribute("data-rollout-url");
    var state = facts.getAttribute("data-state");
    var failures = 0;
    var tick = function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
        .then(function (r) {
          if (!r.ok) throw new Error("status " + r.status);
          return r.json();
        })
        .then(function (v) {
          failures = 0;
          (v.rings || []).forEach(function (ring) {
            var li = document.querySelector('#rings li[data-ring="' + ring.ring + '"]');
            if (!li) return;
            var bar = li.querySelector("progress");
            if (bar) { bar.max = ring.total; bar.value = ring.done; }
            var text = li.querySelector(".ring-text");
            if (text) text.textContent = ring.text;
          });
          if (v.state !== state) {
            window.location.reload();
            return;
          }
          if (!v.done) window.setTimeout(tick, 3000);
        }, function () {
          failures++;
          if (failures < 10) window.setTimeout(tick, 3000);
        });
    };
    window.setTimeout(tick, 3000);
  });
  // The upgrade form: only the phased rollout's fields of the chosen option
  // show (all show without JavaScript; the server reads the chosen ones).
  document.querySelectorAll("fieldset.phased").forEach(function (set) {
    var update = function () {
      var c = set.querySelector("input[name=phased]:checked");
      var v = c ? c.value : "";
      set.querySelectorAll("[data-phased]").forEach(function (el) {
        el.hidden = el.getAttribute("data-phased").split(" ").indexOf(v) < 0;
      });
    };
    set.querySelectorAll("input[name=phased]").forEach(function (r) { r.addEventListener("change", update); });
    update();
  });
  // Allocate licenses: choosing a year proposes what it misses of the
  // current need, and "Confirm allocation" is available only while the
  // wallet holds the quantity asked (the server refuses more anyway).
  document.querySelectorAll("form[data-allocate]").forEach(function (form) {
    var wallet = parseInt(form.getAttribute("data-wallet"), 10) || 0;
    var year = form.querySelector("select[name=year]");
    var qty = form.querySelector("input[name=quantity]");
    var submit = form.querySelector("button[type=submit]");
    var short = form.querySelector("#allocate-short");
    if (!year || !qty || !submit) return;
    var update = function () {
      var n = parseInt(qty.value, 10);
      var over = wallet === 0 || n > wallet;
      submit.disabled = over;
      if (short) short.hidden = !over;
    };
    year.addEventListener("change", function () {
      var opt = year.options[year.selectedIndex];
      var missing = opt ? parseInt(opt.getAttribute("data-missing"), 10) : 0;
      if (missing > 0) qty.value = String(missing);
      update();
    });
    qty.addEventListener("input", update);
    update();
  });
})();
