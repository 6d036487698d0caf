(function () {
  "use strict";
  var body = document.body;
  var SVG = "http://www.w3.org/2000/svg";
  function all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  var rows = all("table.heat tbody tr.svc");
  var tops = all("table.tops tbody tr");
  var waves = all("#wave-graph .wave");
  var boxes = all("#wave-graph li.box");
  var edges = all("#edges li");
  var graph = document.getElementById("wave-graph");
  var team = document.getElementById("f-team");
  var prefix = document.getElementById("f-prefix");
  var wave = document.getElementById("f-wave");
  var shown = document.getElementById("shown");
  var none = document.getElementById("none-shown");
  var state = { team: "", prefix: "", wave: "" };

  function matches(el) {
    var d = el.dataset;
    if (state.team && d.team !== state.team) { return false; }
    if (state.prefix && (d.path + "/").indexOf(state.prefix) !== 0 && d.path.indexOf(state.prefix) !== 0) { return false; }
    if (state.wave && d.wave !== state.wave) { return false; }
    return true;
  }
  function byId(id) { return id ? document.getElementById(id) : null; }

  function apply() {
    var n = 0, count = {};
    rows.forEach(function (tr) {
      var ok = matches(tr);
      tr.hidden = !ok;
      if (!ok) { return; }
      if (tr.dataset.service && !tr.classList.contains("repo-row")) { n += 1; }
      (tr.dataset.blockers || "").split(" ").forEach(function (b) {
        if (b) { count[b] = (count[b] || 0) + 1; }
      });
    });
    var filtered = !!(state.team || state.prefix || state.wave);
    tops.forEach(function (tr) {
      var cell = tr.querySelector(".count");
      var c = count[tr.dataset.rule] || 0;
      if (cell) { cell.textContent = filtered ? c + " of " + cell.dataset.total : cell.dataset.total; }
      tr.hidden = c === 0;
    });
    waves.forEach(function (w) { w.hidden = !!state.wave && w.dataset.wave !== state.wave; });
    boxes.forEach(function (b) {
      var row = byId(b.dataset.row);
      b.classList.toggle("dim", !!row && row.hidden);
    });
    if (none) { none.hidden = n > 0 || rows.length === 0; }
    if (shown) { shown.textContent = "Showing " + n + " service" + (n === 1 ? "" : "s"); }
    body.dataset.shown = String(n);
    body.dataset.team = state.team;
    body.dataset.prefix = state.prefix;
    body.dataset.wave = state.wave;
    draw();
  }

  function draw() {
    if (!graph) { return; }
    var old = graph.querySelector("svg.edges");
    if (old) { graph.removeChild(old); }
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "edges");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("width", String(graph.scrollWidth));
    svg.setAttribute("height", String(graph.scrollHeight));
    var defs = document.createElementNS(SVG, "defs");
    var marker = document.createElementNS(SVG, "marker");
    marker.setAttribute("id", "arrow");
    marker.setAttribute("viewBox", "0 0 10 10");
    marker.setAttribute("refX", "10");
    marker.setAttribute("refY", "5");
    marker.setAttribute("markerWidth", "7");
    marker.setAttribute("markerHeight", "7");
    marker.setAttribute("orient", "auto-start-reverse");
    var tip = document.createElementNS(SVG, "path");
    tip.setAttribute("d", "M 0 0 L 10 5 L 0 10 z");
    marker.appendChild(tip);
    defs.appendChild(marker);
    svg.appendChild(defs);
    var g = graph.getBoundingClientRect();
    var drawn = 0;
    edges.forEach(function (li) {
      var a = byId(li.dataset.from), b = byId(li.dataset.to);
      if (!a || !b || a.closest("[hidden]") || b.closest("[hidden]")) { return; }
      var ra = a.getBoundingClientRect(), rb = b.getBoundingClientRect();
      var ax = ra.left - g.left + graph.scrollLeft, bx = rb.left - g.left + graph.scrollLeft;
      var x1, x2;
      if (rb.right <= ra.left) { x1 = ax; x2 = bx + rb.width; }
      else if (ra.right <= rb.left) { x1 = ax + ra.width; x2 = bx; }
      else { x1 = ax + ra.width; x2 = bx + rb.width; }
      var line = document.createElementNS(SVG, "line");
      line.setAttribute("x1", x1.toFixed(1));
      line.setAttribute("y1", (ra.top - g.top + graph.scrollTop + ra.height / 2).toFixed(1));
      line.setAttribute("x2", x2.toFixed(1));
      line.setAttribute("y2", (rb.top - g.top + graph.scrollTop + rb.height / 2).toFixed(1));
      line.setAttribute("class", "edge kind-" + (li.dataset.kind || "").replace(/[^a-z0-9_-]/gi, ""));
      line.setAttribute("marker-end", "url(#arrow)");
      if (a.classList.contains("dim") || b.classList.contains("dim")) { line.classList.add("dim"); }
      var title = document.createElementNS(SVG, "title");
      title.textContent = li.textContent;
      line.appendChild(title);
      svg.appendChild(line);
      drawn += 1;
    });
    graph.insertBefore(svg, graph.firstChild);
    body.dataset.edges = String(drawn);
  }

  function fromHash() {
    var h = location.hash.replace(/^#/, "");
    var next = { team: "", prefix: "", wave: "" };
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i <= 0) { return; }
      var k = kv.slice(0, i), v = kv.slice(i + 1);
      try { v = decodeURIComponent(v.replace(/\+/g, " ")); } catch (e) { return; }
      if (Object.prototype.hasOwnProperty.call(next, k)) { next[k] = v; }
    });
    state = next;
    if (team) {
      var known = all("option", team).some(function (o) { return o.value === state.team; });
      if (!known) {
        var opt = document.createElement("option");
        opt.value = state.team;
        opt.textContent = state.team;
        team.appendChild(opt);
      }
      team.value = state.team;
    }
    if (prefix) { prefix.value = state.prefix; }
    if (wave) { wave.value = state.wave; }
  }
  function toHash() {
    var parts = [];
    ["team", "prefix", "wave"].forEach(function (k) {
      if (state[k]) { parts.push(k + "=" + encodeURIComponent(state[k]).replace(/%2F/g, "/")); }
    });
    var hash = parts.length ? "#" + parts.join("&") : "";
    if (hash !== location.hash) {
      history.replaceState(null, "", hash || location.pathname + location.search);
    }
  }
  function fromControls() {
    state = {
      team: team ? team.value : "",
      prefix: prefix ? prefix.value.trim() : "",
      wave: wave ? wave.value : ""
    };
    toHash();
    apply();
  }
  [team, wave].forEach(function (el) { if (el) { el.addEventListener("change", fromControls); } });
  if (prefix) { prefix.addEventListener("input", fromControls); }
  var reset = document.getElementById("reset");
  if (reset) {
    reset.addEventListener("click", function () {
      if (team) { team.value = ""; }
      if (prefix) { prefix.value = ""; }
      if (wave) { wave.value = ""; }
      fromControls();
    });
  }
  window.addEventListener("hashchange", function () {
    if (location.hash.indexOf("=") < 0) { return; }
    fromHash();
    apply();
  });
  window.addEventListener("resize", draw);
  boxes.forEach(function (b) {
    var link = b.querySelector("a[data-row]");
    if (!link) { return; }
    link.addEventListener("click", function () {
      var row = byId(link.dataset.row);
      if (row) { row.classList.add("flash"); setTimeout(function () { row.classList.remove("flash"); }, 1200); }
    });
  });
  if (location.hash.indexOf("=") >= 0) { fromHash(); }
  apply();
  body.dataset.ready = "1";
})();
