// pingjia: progressive enhancement only; every page works without this script.
// On the application page it autosaves the declaration through the JSON API
// (PUT /api/v1/applications/{id}/draft, X-CSRF-Token) about 600 ms after the last change and
// redraws the live result from the returned assessment; it uploads and removes evidence through
// the API. The form names it reads are those of src/pages/form.rs.
"use strict";

(function () {
  document.documentElement.classList.add("js");

  function readJson(id, fallback) {
    var element = document.getElementById(id);
    if (!element) return fallback;
    try {
      return JSON.parse(element.textContent);
    } catch (_) {
      return fallback;
    }
  }

  var strings = readJson("strings-data", {});
  var symbols = readJson("symbols-data", {});
  var english = document.documentElement.lang === "en";

  function T(text) {
    return Object.prototype.hasOwnProperty.call(strings, text) ? strings[text] : text;
  }

  // T("当前 {}，需 {}", a, b): translated, then each {} filled in turn.
  function F(pattern) {
    var args = Array.prototype.slice.call(arguments, 1);
    var index = 0;
    return T(pattern).replace(/\{\}/g, function () {
      var value = args[index++];
      return value === undefined || value === null ? "" : String(value);
    });
  }

  // A bilingual API message "中文 / English" in the page's language, split as the pages split
  // them (pages/mod.rs message_in): the English starts at the first "/ " after a space or a
  // Chinese character beyond which no Chinese follows ("（按内容识别）/ only …"); a bilingual
  // label inside the Chinese ("电话 / phone：…") keeps its Chinese.
  var CHINESE = /[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/;
  function message(text) {
    if (!text) return "";
    text = String(text);
    for (var i = 1; i < text.length - 1; i++) {
      if (text[i] !== "/" || text[i + 1] !== " ") continue;
      if (text[i - 1] !== " " && !CHINESE.test(text[i - 1])) continue;
      if (CHINESE.test(text.slice(i))) continue;
      if (english) return text.slice(i + 1).trim();
      return text
        .slice(0, i)
        .trim()
        .replace(/ \/ [A-Za-z][^\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]*/g, "");
    }
    return text;
  }

  function el(tag, attributes) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) {
      if (attributes[key] !== undefined && attributes[key] !== null) node.setAttribute(key, attributes[key]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function errorMessage(response) {
    return response
      .json()
      .then(function (body) {
        return message(body && body.message) || response.status + " " + response.statusText;
      })
      .catch(function () {
        return response.status + " " + response.statusText;
      });
  }

  // --- confirmations and printing (every page) ------------------------------------------------

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "declaration" || form.hasAttribute("data-delete")) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) window.print();
  });

  // --- the live result ------------------------------------------------------------------------

  function statusLabel(status) {
    var labels = {
      met: "满足",
      not_met: "不满足",
      exempt: "免于要求",
      missing: "未填写",
      not_applicable: "无要求",
      missing_parameter: "待批次设定参数"
    };
    return T(labels[status] || status);
  }

  function gradeClass(report, big) {
    return "grade-badge" + (big ? " big" : "") + (report.stars ? " stars-" + report.stars : "");
  }

  function renderResult(assessment) {
    var report = assessment.report;
    var errors = assessment.field_errors || [];
    var body = document.getElementById("result-body");
    if (!body) return;
    var parts = [];
    parts.push(el("p", { class: "grade-line" }, el("span", { class: gradeClass(report, true) }, T(report.grade))));
    // A new draft says what is still to fill rather than a grade.
    if (assessment.unfilled !== undefined && assessment.unfilled !== null) {
      parts.push(el("p", { class: "basis" }, F("尚未填写：还有 {} 项待填", assessment.unfilled)));
    } else if (report.grade_basis) {
      parts.push(el("p", { class: "basis" }, T("依据") + "：" + report.grade_basis));
    }
    if (report.max_score !== undefined) {
      var score = T("专家评分") + "：" + (report.score === undefined ? "—" : report.score) + " / " + report.max_score;
      if (report.self_score !== undefined) score += "；" + T("申报单位自评分") + " " + report.self_score;
      parts.push(el("p", {}, score));
    }
    if (report.parts && report.parts.length) {
      parts.push(el("h3", {}, T("平台类型")));
      var list = el("ul", { class: "parts" });
      report.parts.forEach(function (part) {
        list.appendChild(el("li", { class: "st-" + part.status }, part.title + "：" + statusLabel(part.status)));
      });
      parts.push(list);
    }
    if (errors.length) parts.push(el("p", { class: "error" }, F("有 {} 个字段填写有误", errors.length)));
    parts.push(el("h3", {}, T("差距分析")));
    if (!report.gaps.length) {
      parts.push(el("p", {}, report.eligible ? T("申报条件与材料均已满足") : T("无（已达最高等级或全部满足）")));
    }
    report.gaps.forEach(function (gap) {
      var title = F("达到{}需：", gap.target) + (gap.via_subclass ? F("（经由子类 {}）", gap.via_subclass) : "");
      var items = el("ul");
      (gap.required_parts || []).forEach(function (part) {
        items.appendChild(el("li", {}, F("先满足 {}", part)));
      });
      gap.changes.forEach(function (change) {
        items.appendChild(
          el("li", { class: "st-" + change.status },
            el("a", { href: "#row-" + change.id }, change.label),
            "：" + F("当前 {}，需 {}", change.current, change.required))
        );
      });
      parts.push(el("div", { class: "gap" }, el("h4", {}, title), items));
    });
    (report.diagnostics || []).forEach(function (diagnostic) {
      parts.push(el("p", { class: "hint" }, T("提示") + "：" + (english ? diagnostic.message_en : diagnostic.message_zh)));
    });
    body.replaceChildren.apply(body, parts);

    document.querySelectorAll("[data-grade]").forEach(function (badge) {
      badge.textContent = T(report.grade);
      badge.classList.remove("stars-3", "stars-4", "stars-5");
      if (report.stars) badge.classList.add("stars-" + report.stars);
    });

    report.findings.forEach(function (finding) {
      var levels = document.querySelector('[data-levels="' + CSS.escape(finding.id) + '"]');
      if (levels) {
        var items = finding.levels.map(function (level) {
          var label = statusLabel(level.status);
          // The documents' "-": no requirement at this level, said in words without a mark;
          // a rubric item's maximum is scored, not met, so it has no mark either.
          var none = level.requirement.trim() === "-";
          return el("li", { class: "st-" + level.status },
            level.level ? el("span", { class: "lv" }, level.level) : null,
            level.level ? " " : null,
            el("span", { class: "req" }, none ? T("无要求") : level.requirement),
            none || finding.scores ? null : " ",
            none || finding.scores ? null : el("span", { class: "mk", title: label, "aria-label": label }, symbols[level.status] || ""));
        });
        levels.replaceChildren.apply(levels, items);
      }
      var explain = document.querySelector('[data-explain="' + CSS.escape(finding.id) + '"]');
      if (explain) explain.textContent = finding.scores ? "" : finding.explanation || "";
      var scores = document.querySelector('[data-scores="' + CSS.escape(finding.id) + '"]');
      if (scores && finding.scores) scores.replaceChildren(scoresTable(finding.scores, report.experts || []));
    });
    showFieldErrors(errors);
  }

  // A rubric item's scores as the pages draw them (macros.html scores_table).
  function scoresTable(scores, experts) {
    var dash = function (value) { return value === undefined || value === null ? "—" : String(value); };
    var head = el("tr");
    experts.forEach(function (name) { head.appendChild(el("th", { scope: "col" }, name)); });
    head.appendChild(el("th", { scope: "col" }, T("汇总")));
    head.appendChild(el("th", { scope: "col" }, T("申报单位自评分")));
    var row = el("tr");
    scores.by_expert.forEach(function (value) { row.appendChild(el("td", {}, dash(value))); });
    row.appendChild(el("td", {}, dash(scores.aggregate)));
    row.appendChild(el("td", {}, dash(scores.self_score)));
    var table = el("table", { class: "scores" },
      el("caption", { class: "sr-only" }, T("专家评分")), el("thead", {}, head), el("tbody", {}, row));
    var wrap = el("div", {}, el("div", { class: "table-wrap" }, table));
    if (scores.divergent) wrap.appendChild(el("p", { class: "hint" }, T("专家评分分歧较大，请复核")));
    return wrap;
  }

  // Each error goes beside the field whose path is the longest prefix of the error's path.
  function showFieldErrors(errors) {
    var targets = Array.prototype.slice.call(document.querySelectorAll("[data-error-for]"));
    targets.forEach(function (target) {
      target.textContent = "";
      var field = target.closest(".field");
      if (field) field.classList.remove("invalid");
    });
    errors.forEach(function (error) {
      var best = null;
      targets.forEach(function (target) {
        var path = target.getAttribute("data-error-for");
        var rest = error.field.slice(path.length);
        var matches = error.field === path || (error.field.indexOf(path) === 0 && (rest[0] === "[" || rest[0] === "."));
        if (matches && (!best || path.length > best.getAttribute("data-error-for").length)) best = target;
      });
      if (!best) return;
      var text = F("应填写：{}（当前：{}）", english ? error.expected_en : error.expected_zh, error.given);
      best.textContent = best.textContent ? best.textContent + "；" + text : text;
      var field = best.closest(".field");
      if (field) field.classList.add("invalid");
    });
  }

  // --- the declaration form: body, autosave ---------------------------------------------------

  var form = document.getElementById("declaration");
  var pendingSave = Promise.resolve();
  var timer = null;
  var saving = false;
  var dirty = false;
  var leaving = false;

  function buildBody(base) {
    var fields = readJson("fields-data", []);
    var scores = readJson("scores-data", []);
    var data = new FormData(form);
    function all(name) {
      return data.getAll(name).map(function (v) { return String(v).trim(); }).filter(function (v) { return v !== ""; });
    }
    var body = JSON.parse(JSON.stringify(base || {}));
    var organization = Object.assign({}, body.organization || {});
    var kind = all("org_kind")[0];
    if (kind) organization.kind = kind;
    if (form.dataset.organizationName) organization.name = form.dataset.organizationName;
    if (form.dataset.creditCode) organization.credit_code = form.dataset.creditCode;
    body.organization = organization;
    if (form.querySelector('input[name="subclass"]')) {
      var subclasses = all("subclass");
      if (subclasses.length) body.subclasses = subclasses;
      else delete body.subclasses;
    }
    var values = Object.assign({}, body.values || {});
    fields.forEach(function (id) {
      delete values[id];
      if (form.querySelector('input[name="i:' + CSS.escape(id) + '"]')) {
        var chosen = all("i:" + id);
        if (chosen.length) values[id] = chosen;
      } else if (form.querySelector('[data-records="' + CSS.escape(id) + '"]')) {
        var records = readRecords(data, id);
        if (records.length) values[id] = records;
      } else {
        var value = all("v:" + id)[0];
        if (value !== undefined) values[id] = value;
      }
    });
    body.values = values;
    var selfScores = Object.assign({}, body.self_scores || {});
    scores.forEach(function (id) {
      delete selfScores[id];
      var score = all("s:" + id)[0];
      if (score !== undefined) selfScores[id] = score;
    });
    if (Object.keys(selfScores).length) body.self_scores = selfScores;
    else delete body.self_scores;
    return body;
  }

  function readRecords(data, id) {
    var prefix = "r:" + id + ":";
    var rows = {};
    data.forEach(function (raw, key) {
      if (typeof raw !== "string" || key.indexOf(prefix) !== 0) return;
      var rest = key.slice(prefix.length).split(":");
      var value = raw.trim();
      if (rest.length !== 2 || value === "") return;
      var index = Number(rest[0]);
      rows[index] = rows[index] || {};
      rows[index][rest[1]] = value;
    });
    return Object.keys(rows)
      .map(Number)
      .sort(function (a, b) { return a - b; })
      .map(function (index) { return rows[index]; });
  }

  function setState(text, kind) {
    document.querySelectorAll("[data-save-state]").forEach(function (state) {
      state.textContent = text;
      state.className = "save-state" + (kind ? " " + kind : "");
    });
  }

  function save() {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    pendingSave = pendingSave.then(function () {
      if (!dirty) return;
      dirty = false;
      saving = true;
      var body = buildBody(form.__base);
      setState(T("保存中…"));
      return fetch(form.dataset.draftUrl, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf, Accept: "application/json" },
        body: JSON.stringify(body)
      })
        .then(function (response) {
          if (!response.ok) {
            return errorMessage(response).then(function (text) {
              throw new Error(text);
            });
          }
          return response.json();
        })
        .then(function (saved) {
          form.__base = body;
          renderResult(saved.assessment);
          setState(dirty ? T("有未保存的修改") : T("已保存"), dirty ? "" : "saved");
        })
        .catch(function (error) {
          dirty = true;
          setState(T("保存失败") + (error && error.message ? "：" + error.message : ""), "failed");
        })
        .then(function () {
          saving = false;
        });
    });
    return pendingSave;
  }

  function changed() {
    dirty = true;
    setState(T("有未保存的修改"));
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 600);
  }

  function toggleSubclassGroups() {
    var chosen = Array.prototype.slice
      .call(form.querySelectorAll('input[name="subclass"]'))
      .filter(function (box) { return box.checked; })
      .map(function (box) { return box.value; });
    document.querySelectorAll("[data-subclass]").forEach(function (element) {
      var declared = chosen.length === 0 || chosen.indexOf(element.getAttribute("data-subclass")) >= 0;
      if (element.tagName === "OPTION") {
        // The evidence form offers the rows of the subclasses applied for.
        element.hidden = !declared;
        element.disabled = !declared;
        if (!declared && element.selected) element.parentNode.value = "";
      } else {
        element.classList.toggle("undeclared", !declared);
      }
    });
  }

  // --- pre-fill: a field that states the same fact as another (prefill_from) ------------------
  // An empty target, or one still holding a pre-filled value, follows its source; a value the
  // applicant chose there is theirs. The note beside it says where the value came from.

  function prefillNote(target, shown) {
    var note = document.querySelector('[data-prefill-note="' + CSS.escape(target.name) + '"]');
    if (note) note.hidden = !shown;
  }

  function prefillFrom(source) {
    form.querySelectorAll('[data-prefill-from="' + CSS.escape(source.name) + '"]').forEach(function (target) {
      if (target.value.trim() !== "" && target.dataset.prefilled !== "1") return;
      var value = source.value.trim();
      var text = value;
      if (target.dataset.prefillMap) {
        var map = {};
        try {
          map = JSON.parse(target.dataset.prefillMap);
        } catch (_) {}
        text = Object.prototype.hasOwnProperty.call(map, value) ? map[value] : "";
      }
      target.value = text;
      var filled = target.value !== "";
      if (filled) target.dataset.prefilled = "1";
      else delete target.dataset.prefilled;
      prefillNote(target, filled);
    });
  }

  function edited(event) {
    var control = event.target;
    if (!control || !control.name) return;
    if (control.hasAttribute("data-prefill-from")) {
      // Chosen by the applicant: no longer follows its source.
      delete control.dataset.prefilled;
      prefillNote(control, false);
    }
    prefillFrom(control);
  }

  function addRecordRow(fieldId) {
    var table = form.querySelector('[data-records="' + CSS.escape(fieldId) + '"] tbody');
    if (!table || !table.lastElementChild) return;
    var rows = table.querySelectorAll("[data-record-row]");
    var next = 0;
    rows.forEach(function (row) {
      next = Math.max(next, Number(row.getAttribute("data-record-row")) + 1);
    });
    var copy = table.lastElementChild.cloneNode(true);
    copy.setAttribute("data-record-row", String(next));
    copy.querySelectorAll("input, select").forEach(function (control) {
      control.name = control.name.replace(/^(r:[^:]+:)\d+(:)/, "$1" + next + "$2");
      if (control.tagName === "SELECT") control.selectedIndex = 0;
      else control.value = "";
    });
    table.appendChild(copy);
    var first = copy.querySelector("input, select");
    if (first) first.focus();
  }

  if (form) {
    form.__base = readJson("body-data", {});
    var initial = readJson("assessment-data", null);
    if (initial) showFieldErrors(initial.field_errors || []);
    form.addEventListener("input", function (event) {
      edited(event);
      changed();
    });
    form.addEventListener("change", function (event) {
      edited(event);
      if (event.target.name === "subclass") toggleSubclassGroups();
      changed();
    });
    // Values pre-filled when the page was drawn are saved like any other change.
    if (form.querySelector("[data-prefilled]")) changed();
    form.addEventListener("click", function (event) {
      var button = event.target.closest("[data-add-row]");
      if (button) {
        event.preventDefault();
        addRecordRow(button.getAttribute("data-add-row"));
      }
    });
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      var submitting = submitter && submitter.hasAttribute("formaction");
      if (!submitting) {
        // "保存草稿": save through the API and stay on the page.
        event.preventDefault();
        dirty = true;
        save();
        return;
      }
      if (form.__confirmed) {
        leaving = true;
        return;
      }
      var question = submitter.getAttribute("data-confirm");
      event.preventDefault();
      if (question && !window.confirm(question)) return;
      // Let a running autosave finish first, so it cannot open a new draft after the submission.
      if (timer) clearTimeout(timer);
      timer = null;
      dirty = false;
      pendingSave.then(function () {
        // A new task: a submission requested while the submit event is still being dispatched
        // (a microtask of this listener) is ignored by the browser.
        setTimeout(function () {
          form.__confirmed = true;
          if (form.requestSubmit) form.requestSubmit(submitter);
          else form.submit();
        }, 0);
      });
    });
    window.addEventListener("beforeunload", function (event) {
      if (!leaving && (dirty || saving)) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  // --- evidence -------------------------------------------------------------------------------

  document.querySelectorAll("form[data-upload]").forEach(function (upload) {
    upload.addEventListener("submit", function (event) {
      event.preventDefault();
      var state = upload.querySelector("[data-upload-state]");
      var button = upload.querySelector("button[type=submit]");
      if (state) state.textContent = T("上传中…");
      if (button) button.disabled = true;
      var flush = form ? save() : Promise.resolve();
      flush
        .then(function () {
          return fetch(upload.getAttribute("data-upload"), {
            method: "POST",
            credentials: "same-origin",
            headers: { "X-CSRF-Token": upload.getAttribute("data-csrf"), Accept: "application/json" },
            body: new FormData(upload)
          });
        })
        .then(function (response) {
          if (!response.ok) {
            return errorMessage(response).then(function (text) {
              throw new Error(text);
            });
          }
          leaving = true;
          window.location.assign(window.location.pathname + "?notice=uploaded#evidence");
        })
        .catch(function (error) {
          if (state) state.textContent = T("上传失败") + "：" + error.message;
          if (button) button.disabled = false;
        });
    });
  });

  document.querySelectorAll("form[data-delete]").forEach(function (remove) {
    remove.addEventListener("submit", function (event) {
      event.preventDefault();
      var question = remove.getAttribute("data-confirm");
      if (question && !window.confirm(question)) return;
      var csrf = remove.querySelector('input[name="csrf"]');
      fetch(remove.getAttribute("data-delete"), {
        method: "DELETE",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf ? csrf.value : "", Accept: "application/json" }
      })
        .then(function (response) {
          if (!response.ok) {
            return errorMessage(response).then(function (text) {
              throw new Error(text);
            });
          }
          var row = remove.closest("tr");
          var body = row && row.parentNode;
          if (row) row.remove();
          if (body && !body.children.length) {
            leaving = true;
            window.location.reload();
          }
        })
        .catch(function (error) {
          window.alert(T("删除失败") + "：" + error.message);
        });
    });
  });
})();
