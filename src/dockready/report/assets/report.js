(function () {
  "use strict";
  var body = document.body;
  var boxes = Array.prototype.slice.call(document.querySelectorAll(".filters input[type=checkbox]"));
  var findings = Array.prototype.slice.call(document.querySelectorAll("article.finding"));
  var fchapters = Array.prototype.slice.call(document.querySelectorAll("section.fchapter"));
  var blocks = Array.prototype.slice.call(document.querySelectorAll(".chapter-block"));
  var q = document.getElementById("q");
  var shown = document.getElementById("shown");
  var none = document.getElementById("none-shown");
  var texts = findings.map(function (el) { return el.textContent.toLowerCase(); });

  function wanted(name) {
    var out = {};
    boxes.forEach(function (b) { if (b.name === name && b.checked) { out[b.value] = true; } });
    return out;
  }
  function apply() {
    var sev = wanted("severity"), chap = wanted("chapter");
    var term = q ? q.value.trim().toLowerCase() : "";
    var n = 0;
    findings.forEach(function (el, i) {
      var ok = sev[el.dataset.severity] && chap[el.dataset.chapter] &&
        (!term || texts[i].indexOf(term) >= 0);
      el.hidden = !ok;
      if (ok) { n += 1; }
    });
    fchapters.forEach(function (s) {
      var all = s.querySelectorAll("article.finding").length;
      var on = s.querySelectorAll("article.finding:not([hidden])").length;
      var count = s.querySelector(".count");
      if (count) { count.textContent = on === all ? String(all) : on + " of " + all; }
      s.hidden = on === 0;
    });
    blocks.forEach(function (b) { b.hidden = !chap[b.dataset.chapter]; });
    if (none) { none.hidden = n > 0 || findings.length === 0; }
    if (shown) { shown.textContent = "Showing " + n + " of " + findings.length + " findings"; }
    body.dataset.shown = String(n);
    body.dataset.severity = Object.keys(sev).join(",");
    body.dataset.chapter = Object.keys(chap).join(",");
  }
  function toHash() {
    var parts = [];
    ["severity", "chapter"].forEach(function (name) {
      var all = boxes.filter(function (b) { return b.name === name; });
      var on = all.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
      if (on.length !== all.length) { parts.push(name + "=" + on.join(",")); }
    });
    if (q && q.value.trim()) { parts.push("q=" + encodeURIComponent(q.value.trim())); }
    var hash = parts.length ? "#" + parts.join("&") : "";
    if (hash !== location.hash && !(hash === "" && location.hash.indexOf("=") < 0)) {
      history.replaceState(null, "", hash || location.pathname + location.search);
    }
  }
  function fromHash() {
    var h = location.hash.replace(/^#/, "");
    if (h.indexOf("=") < 0) { return false; }
    var state = {};
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) {
        try { state[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); } catch (e) { /* bad escape */ }
      }
    });
    boxes.forEach(function (b) {
      var v = state[b.name];
      b.checked = v === undefined || v.split(",").indexOf(b.value) >= 0;
    });
    if (q) { q.value = state.q || ""; }
    return true;
  }
  boxes.forEach(function (b) { b.addEventListener("change", function () { apply(); toHash(); }); });
  if (q) { q.addEventListener("input", function () { apply(); toHash(); }); }
  var reset = document.getElementById("reset");
  if (reset) {
    reset.addEventListener("click", function () {
      boxes.forEach(function (b) { b.checked = true; });
      if (q) { q.value = ""; }
      apply(); toHash();
    });
  }
  window.addEventListener("hashchange", function () {
    if (fromHash()) { apply(); return; }
    var target = document.getElementById(location.hash.slice(1));
    if (target && target.closest && target.closest("[hidden]")) {
      boxes.forEach(function (b) { b.checked = true; });
      if (q) { q.value = ""; }
      apply();
      target.scrollIntoView();
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && q && document.activeElement !== q) { e.preventDefault(); q.focus(); }
  });
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.slice.call(document.querySelectorAll("details:not([open])"));
    opened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
  });
  fromHash();
  apply();
  body.dataset.ready = "1";
})();
