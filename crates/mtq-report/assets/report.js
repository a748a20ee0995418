// MTQ Paths: the interactive report. Reads the JSON blob #mtq-data (see explore.rs) and draws:
// the Sankey of the chosen set (hover: counts per class; click: select samples, whole paths
// highlighted), the selection panel (counts by class, thumbnails, ids to export), the legend
// (hide / isolate a class), the routes of each unseen class, the top anomalies and the K-trees.
// No network, no library: works from file://.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("mtq-data").textContent);
  var L = D.layers.length;
  if (!L || !D.sets.length) { document.body.setAttribute("data-ready", "1"); return; } // keep the static page
  var NS = "http://www.w3.org/2000/svg";
  var PROTOS = 12, ATYPICAL = 12, ROUTES = 6, ROUTE_THUMBS = 10, TOP_ANOMALIES = 24;
  var groups = D.groups.slice();
  var hasUnknown = D.sets.some(function (s) { return s.group.indexOf(-1) >= 0; });
  if (hasUnknown) groups.push({ label: "unlabelled", injected: false, colour: "#999999" });
  var UNKNOWN = hasUnknown ? groups.length - 1 : -1;
  var nCols = L + 1 + (D.with_predictions ? 1 : 0);
  var SHOWN = D.shown_set || "reference";
  // Layers drawn in the Sankey: every layer up to MAX_DEFAULT_LAYERS, else the first, the last
  // and evenly spaced ones between (the picker shows any others).
  var MAX_DEFAULT_LAYERS = 6;
  // Every layer when they fit the figure's width, else as many as fit (at least two, at most
  // MAX_DEFAULT_LAYERS): the first, the last and evenly spaced ones between.
  function spread(m) {
    var on = [], l;
    for (l = 0; l < L; l++) on.push(L <= m);
    if (L > m) for (l = 0; l < m; l++) on[Math.round(l * (L - 1) / (m - 1))] = true;
    return on;
  }
  function defaultLayers() {
    var fig = document.getElementById("sankey"), avail = Math.max(600, ((fig && fig.clientWidth) || 860) - 4);
    if (L <= 3) return spread(L);
    var all = members(null);
    for (var m = Math.min(L, MAX_DEFAULT_LAYERS); m > 2; m--) {
      var on = spread(m);
      if (columnsLayout(colsOf(on), all).need <= avail) return on;
    }
    return spread(Math.min(L, 2));
  }
  var st = { view: "all", hidden: {}, sel: null, layers: null };
  // The columns drawn, as indices into every column (0: true class, 1..L: layers, L+1: predicted).
  function colsOf(on) {
    var cols = [0];
    for (var l = 0; l < L; l++) if (on[l]) cols.push(l + 1);
    if (D.with_predictions) cols.push(L + 1);
    return cols;
  }
  function shownCols() { return colsOf(st.layers); }

  function el(tag, attrs, text) {
    var e = tag.indexOf("svg:") === 0 ? document.createElementNS(NS, tag.slice(4)) : document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function pct(a, b) { return b ? (100 * a / b).toFixed(1) + " %" : "–"; }
  function grp(s, i) { var g = s.group[i]; return g < 0 ? UNKNOWN : g; }
  function colTitle(c) { return c === 0 ? "true class" : c <= L ? D.layers[c - 1] : "predicted"; }
  function nodeOf(s, i, c) {
    if (c === 0) return grp(s, i);
    if (c <= L) return s.clusters[i * L + c - 1];
    return s.predicted[i];
  }
  function nodeLabel(c, n) {
    if (c === 0) return groups[n].label;
    if (c <= L) return D.clusters[c - 1][n];
    return "pred " + D.classes[n];
  }
  function viewSets() {
    if (st.view === "all") {
      return D.sets.map(function (s, i) { return i; }).filter(function (i) {
        return D.sets[i].key === SHOWN || D.sets[i].key.indexOf("unseen:") === 0;
      });
    }
    return [Number(st.view)];
  }
  function visible(s, i) { return !st.hidden[grp(s, i)] && (!D.with_predictions || s.predicted[i] >= 0); }
  // Every visible sample of the view, as [set index, row].
  function members(pred) {
    var out = [];
    viewSets().forEach(function (si) {
      var s = D.sets[si];
      for (var i = 0; i < s.ids.length; i++) if (visible(s, i) && (!pred || pred(s, i))) out.push([si, i]);
    });
    return out;
  }
  // Band counts between consecutive drawn columns: key "k|a|b|g" -> count, k indexing cols.
  function linkCounts(list, cols) {
    var m = {};
    list.forEach(function (p) {
      var s = D.sets[p[0]], i = p[1], g = grp(s, i), prev = nodeOf(s, i, cols[0]);
      for (var k = 1; k < cols.length; k++) {
        var n = nodeOf(s, i, cols[k]), key = (k - 1) + "|" + prev + "|" + n + "|" + g;
        m[key] = (m[key] || 0) + 1;
        prev = n;
      }
    });
    return m;
  }

  // ---- thumbnails ----
  var thumbCache = {};
  function thumbData(si) {
    if (thumbCache[si]) return thumbCache[si];
    var s = D.sets[si], bin = atob(s.thumbs), bytes = new Uint8Array(bin.length);
    for (var j = 0; j < bin.length; j++) bytes[j] = bin.charCodeAt(j);
    var index = new Int32Array(s.ids.length).fill(-1);
    s.thumb_rows.forEach(function (r, k) { index[r] = k; });
    return (thumbCache[si] = { bytes: bytes, index: index });
  }
  function thumb(si, i, caption) {
    var fig = el("figure", { class: "thumb" });
    var w = D.thumb_width, h = D.thumb_height;
    if (w > 0 && D.sets[si].thumbs) {
      var t = thumbData(si), k = t.index[i];
      if (k >= 0) {
        var cv = el("canvas", { width: w, height: h }), ctx = cv.getContext("2d");
        var c = D.thumb_channels || 1, img = ctx.createImageData(w, h), per = Math.ceil(w * h * c / 2);
        var level = function (q) { var b = t.bytes[k * per + (q >> 1)]; return (q & 1 ? b & 15 : b >> 4) * 17; };
        for (var p = 0; p < w * h; p++) {
          if (c === 3) { // colour as given
            for (var ch = 0; ch < 3; ch++) img.data[4 * p + ch] = level(3 * p + ch);
          } else { // grey levels as ink on paper
            img.data[4 * p] = img.data[4 * p + 1] = img.data[4 * p + 2] = 255 - level(p);
          }
          img.data[4 * p + 3] = 255;
        }
        ctx.putImageData(img, 0, 0);
        fig.appendChild(cv);
      }
    }
    fig.appendChild(el("figcaption", {}, caption));
    return fig;
  }
  function sampleCaption(si, i) {
    var s = D.sets[si], key = s.key === "reference" ? "ref" : s.key;
    return key + " #" + s.ids[i];
  }

  // ---- Sankey ----
  var tip = el("div", { class: "tip", role: "tooltip" });
  document.body.appendChild(tip);
  function showTip(ev, html) { tip.innerHTML = html; tip.style.display = "block"; tip.style.left = (ev.pageX + 14) + "px"; tip.style.top = (ev.pageY + 10) + "px"; }
  function hideTip() { tip.style.display = "none"; }
  function esc(t) { return String(t).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; }); }
  function sharesHtml(list) {
    var by = {}, n = list.length;
    list.forEach(function (p) { var g = grp(D.sets[p[0]], p[1]); by[g] = (by[g] || 0) + 1; });
    return Object.keys(by).sort(function (a, b) { return by[b] - by[a]; }).map(function (g) {
      return '<span class="sw" style="background:' + groups[g].colour + '"></span>' + esc(groups[g].label) + ": " + by[g] + " (" + pct(by[g], n) + ")";
    }).join("<br>");
  }

  var H = 520, NODE_W = 12, PAD = 8, TOP = 30, LEFT = 6, MIN_GAP = 64, LABEL_GAP = 5, LABEL_H = 15, LABEL_MAX = 150, HIT_W = 7;
  var measureCtx = null;
  function textW(t, px, bold) {
    if (!measureCtx) measureCtx = document.createElement("canvas").getContext("2d");
    var fam = getComputedStyle(document.body).fontFamily || "sans-serif";
    measureCtx.font = (bold ? "bold " : "") + px + "px " + fam;
    return Math.ceil(measureCtx.measureText(t).width) + 2;
  }
  // `t` cut with "…" to at most `max` pixels.
  function fitText(t, max) {
    if (textW(t, 12) <= max) return t;
    var out = t;
    while (out.length > 1 && textW(out + "…", 12) > max) out = out.slice(0, -1);
    return out + "…";
  }
  // Label tops for one column's labelled nodes, biggest first: each label beside its node
  // (its middle within the node's span, a few pixels of slack), never overlapping another;
  // a label that cannot be placed is dropped (the node keeps its tooltip).
  function placeLabels(items, lo, hi) {
    var placed = [];
    items.slice().sort(function (a, b) { return b.count - a.count || a.y - b.y; }).forEach(function (it) {
      var want = it.y + it.h / 2 - LABEL_H / 2, cands = [want];
      placed.forEach(function (p) { cands.push(p.top + LABEL_H + 1, p.top - LABEL_H - 1); });
      cands.sort(function (a, b) { return Math.abs(a - want) - Math.abs(b - want); });
      for (var j = 0; j < cands.length; j++) {
        var t = cands[j], mid = t + LABEL_H / 2;
        if (t < lo || t + LABEL_H > hi) continue;
        if (mid < it.y - 4 || mid > it.y + Math.max(it.h, 2) + 4) continue;
        if (placed.some(function (p) { return t < p.top + LABEL_H + 1 && p.top < t + LABEL_H + 1; })) continue;
        it.top = t; placed.push(it);
        return;
      }
    });
    return placed;
  }
  // Per drawn column: the samples of each node, the label texts (cut to LABEL_MAX), the gap to
  // the next column (its widest label and its title fit in it), the room right of the last
  // column, and the width all that needs.
  function columnsLayout(cols, all) {
    var nc = cols.length, totals = [], text = [], labW = [], titleW = [], c;
    for (c = 0; c < nc; c++) totals.push({});
    all.forEach(function (p) {
      var s = D.sets[p[0]];
      for (var c2 = 0; c2 < nc; c2++) { var n = nodeOf(s, p[1], cols[c2]); totals[c2][n] = (totals[c2][n] || 0) + 1; }
    });
    for (c = 0; c < nc; c++) {
      text.push({});
      var w = 0;
      for (var nk in totals[c]) {
        var t = fitText(nodeLabel(cols[c], Number(nk)), LABEL_MAX - textW(" (" + totals[c][nk] + ")", 12)) + " (" + totals[c][nk] + ")";
        text[c][nk] = t; w = Math.max(w, textW(t, 12));
      }
      labW.push(w); titleW.push(textW(colTitle(cols[c]), 12, true));
    }
    var gaps = [];
    for (c = 0; c < nc - 1; c++) gaps.push(Math.max(MIN_GAP, NODE_W + LABEL_GAP + labW[c] + 12, titleW[c] + 12));
    var right = Math.max(NODE_W + LABEL_GAP + labW[nc - 1], titleW[nc - 1]) + 8;
    var need = LEFT + gaps.reduce(function (a, b) { return a + b; }, 0) + right;
    return { totals: totals, text: text, gaps: gaps, need: need };
  }
  function drawSankey() {
    var fig = document.getElementById("sankey");
    var cols = shownCols(), nc = cols.length;
    var all = members(null), links = linkCounts(all, cols), N = all.length, c, k;
    var lay = columnsLayout(cols, all), totals = lay.totals, text = lay.text, gaps = lay.gaps, need = lay.need;
    var maxNodes = Math.max.apply(null, totals.map(function (t) { return Object.keys(t).length; }));
    var scale = N ? (H - TOP - 10 - PAD * Math.max(0, maxNodes - 1)) / N : 0;
    var avail = Math.max(600, (fig.clientWidth || 860) - 4);
    var W = Math.max(need, avail);
    if (W > need && nc > 1) { var extra = (W - need) / (nc - 1); gaps = gaps.map(function (g) { return g + extra; }); }
    var xs = [LEFT];
    for (c = 1; c < nc; c++) xs.push(xs[c - 1] + gaps[c - 1]);
    var colX = function (c) { return xs[c]; };
    // Node positions: column 0 in group order, later columns by the mean height of their inflow.
    var pos = [];
    for (c = 0; c < nc; c++) {
      var ids = Object.keys(totals[c]).map(Number), bary = {};
      if (c > 0) {
        var sum = {}, wt = {};
        for (k in links) {
          var q = k.split("|").map(Number);
          if (q[0] !== c - 1) continue;
          var yc = pos[c - 1][q[1]].y + pos[c - 1][q[1]].h / 2;
          sum[q[2]] = (sum[q[2]] || 0) + yc * links[k]; wt[q[2]] = (wt[q[2]] || 0) + links[k];
        }
        ids.forEach(function (n) { bary[n] = sum[n] / wt[n]; });
        ids.sort(function (a, b) { return bary[a] - bary[b] || a - b; });
      } else ids.sort(function (a, b) { return a - b; });
      var y = TOP, col = {};
      ids.forEach(function (n) { col[n] = { y: y, h: totals[c][n] * scale }; y += totals[c][n] * scale + PAD; });
      pos.push(col);
    }
    // Band offsets within their nodes: ordered by the other end's height, then group.
    var keys = Object.keys(links).map(function (k) { return k.split("|").map(Number); });
    var out = {}, inn = {}, band = {};
    keys.slice().sort(function (a, b) { return a[0] - b[0] || pos[a[0] + 1][a[2]].y - pos[b[0] + 1][b[2]].y || a[3] - b[3]; })
      .forEach(function (q) { var id = q[0] + "|" + q[1]; var o = out[id] || 0; band[q.join("|")] = { y0: pos[q[0]][q[1]].y + o }; out[id] = o + links[q.join("|")] * scale; });
    keys.slice().sort(function (a, b) { return a[0] - b[0] || pos[a[0]][a[1]].y - pos[b[0]][b[1]].y || a[3] - b[3]; })
      .forEach(function (q) { var id = (q[0] + 1) + "|" + q[2]; var o = inn[id] || 0; band[q.join("|")].y1 = pos[q[0] + 1][q[2]].y + o; inn[id] = o + links[q.join("|")] * scale; });

    var svg = el("svg:svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, class: "sankey-live", role: "img" });
    svg.style.width = W + "px";
    var defs = el("svg:defs");
    groups.forEach(function (g, gi) {
      if (!g.injected) return;
      var pat = el("svg:pattern", { id: "hx" + gi, width: 7, height: 7, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
      pat.appendChild(el("svg:rect", { width: 7, height: 7, fill: g.colour }));
      pat.appendChild(el("svg:rect", { width: 2.5, height: 7, fill: "#fff", "fill-opacity": 0.55 }));
      defs.appendChild(pat);
    });
    svg.appendChild(defs);
    for (c = 0; c < nc; c++) svg.appendChild(el("svg:text", { x: colX(c), y: 16, class: "coltitle" }, colTitle(cols[c])));
    var sel = st.sel ? linkCounts(st.sel.list, cols) : null;
    var bandsG = el("svg:g", { class: sel ? "bands dim" : "bands" }), hitG = el("svg:g", { class: "hits" });
    var curve = function (q, y0, y1, w) {
      var x0 = colX(q[0]) + NODE_W, x1 = colX(q[0] + 1), xm = (x0 + x1) / 2;
      return "M" + x0 + "," + (y0 + w / 2) + "C" + xm + "," + (y0 + w / 2) + " " + xm + "," + (y1 + w / 2) + " " + x1 + "," + (y1 + w / 2);
    };
    var layerOf = function (c) { return cols[c] === 0 ? 0 : cols[c] <= L ? cols[c] - 1 : L - 1; };
    keys.forEach(function (q) {
      var k = q.join("|"), n = links[k], w = Math.max(n * scale, 1), b = band[k], g = groups[q[3]];
      var ca = cols[q[0]], cb = cols[q[0] + 1];
      var attrs = { d: curve(q, b.y0, b.y1, w), class: "band" + (g.injected ? " unseen" : ""), "stroke-width": w, stroke: g.injected ? "url(#hx" + q[3] + ")" : g.colour,
        "data-c": ca, "data-c2": cb, "data-a": q[1], "data-b": q[2], "data-g": q[3], "data-count": n };
      var p = el("svg:path", attrs);
      var targets = [p];
      // A thin band gets an invisible wider twin on top, so that it can be hovered and clicked.
      if (w < HIT_W) {
        var hit = el("svg:path", { d: attrs.d, class: "band-hit", "stroke-width": HIT_W, stroke: "#000", "stroke-opacity": 0, fill: "none", "pointer-events": "stroke",
          "data-c": ca, "data-c2": cb, "data-a": q[1], "data-b": q[2], "data-g": q[3], "data-count": n });
        hitG.appendChild(hit); targets.push(hit);
      }
      targets.forEach(function (t) {
        t.addEventListener("mousemove", function (ev) {
          var tot = totals[q[0]][q[1]];
          showTip(ev, "<b>" + esc(g.label) + "</b>: " + esc(nodeLabel(ca, q[1])) + " → " + esc(nodeLabel(cb, q[2])) + "<br>" + n + " samples, " + pct(n, tot) + " of " + esc(nodeLabel(ca, q[1])));
        });
        t.addEventListener("mouseleave", hideTip);
        t.addEventListener("click", function () {
          select(g.label + ": " + nodeLabel(ca, q[1]) + " → " + nodeLabel(cb, q[2]), layerOf(q[0] + 1),
            function (s, i) { return grp(s, i) === q[3] && nodeOf(s, i, ca) === q[1] && nodeOf(s, i, cb) === q[2]; });
        });
      });
      bandsG.appendChild(p);
    });
    svg.appendChild(bandsG);
    if (sel) {
      var hl = el("svg:g", { class: "highlight" });
      keys.forEach(function (q) {
        var k = q.join("|"), n = sel[k];
        if (!n) return;
        var w = n * scale, g = groups[q[3]];
        hl.appendChild(el("svg:path", { d: curve(q, band[k].y0, band[k].y1, w), "stroke-width": Math.max(w, 1), stroke: g.injected ? "url(#hx" + q[3] + ")" : g.colour, class: "hl" }));
      });
      svg.appendChild(hl);
    }
    svg.appendChild(hitG);
    var labelsG = el("svg:g", { class: "labels" });
    for (c = 0; c < nc; c++) {
      var items = [];
      Object.keys(pos[c]).forEach(function (nk) {
        var n = Number(nk), b = pos[c][n], cc = c, full = cols[c], hgt = Math.max(b.h, 3);
        var r = el("svg:rect", { x: colX(c), y: b.y + b.h / 2 - hgt / 2, width: NODE_W, height: hgt, class: "node", "data-c": full, "data-n": n, fill: full === 0 ? groups[n].colour : "#555" });
        r.addEventListener("mousemove", function (ev) {
          showTip(ev, "<b>" + esc(nodeLabel(full, n)) + "</b> (" + esc(colTitle(full)) + "): " + totals[cc][n] + " samples<br>" + sharesHtml(members(function (s, i) { return nodeOf(s, i, full) === n; })));
        });
        r.addEventListener("mouseleave", hideTip);
        r.addEventListener("click", function () {
          select(nodeLabel(full, n) + " (" + colTitle(full) + ")", layerOf(cc), function (s, i) { return nodeOf(s, i, full) === n; });
        });
        svg.appendChild(r);
        items.push({ n: n, y: b.y, h: b.h, count: totals[c][n] });
      });
      placeLabels(items, TOP - 6, H).forEach(function (it) {
        labelsG.appendChild(el("svg:text", { x: colX(c) + NODE_W + LABEL_GAP, y: it.top + LABEL_H - 3.5, class: "nlabel", "data-c": cols[c] }, text[c][it.n]));
      });
    }
    svg.appendChild(labelsG);
    fig.innerHTML = "";
    var wrap = el("div", { class: "sankey-scroll" });
    wrap.appendChild(svg);
    fig.appendChild(wrap);
    var hiddenLayers = L - (cols.length - 1 - (D.with_predictions ? 1 : 0));
    fig.appendChild(el("figcaption", {}, "Shows " + viewName() + ": " + N + " samples" +
      (hiddenLayers ? "; " + (L - hiddenLayers) + " of the " + L + " layers drawn (pick them above: bands then join the layers drawn)" : "") +
      ". Hover a band or node for its counts per class; click it to list its samples and highlight their whole paths; click a legend entry to hide a class, “only” to isolate it." +
      (W > avail ? " Scroll sideways for the rest of the diagram." : "")));
  }
  function viewName() {
    if (st.view === "all") {
      var s0 = D.sets.filter(function (s) { return s.key === SHOWN; })[0];
      var kind = SHOWN === "test" ? "test" : "reference (training)";
      return "the " + kind + " set" + (s0 && s0.name !== SHOWN ? " (" + s0.name + ")" : "") + " and every unseen set (as sankey.svg)";
    }
    var s = D.sets[Number(st.view)];
    return "the set " + s.name + " (" + s.key + ")";
  }

  // ---- selection and panel ----
  function select(label, layer, pred) {
    st.sel = { label: label, layer: layer, list: members(pred) };
    drawSankey();
    drawPanel();
  }
  function countTable(title, list, keyOf, names) {
    var by = {};
    list.forEach(function (p) { var k = keyOf(D.sets[p[0]], p[1]); by[k] = (by[k] || 0) + 1; });
    var t = el("table", { class: "counts" });
    var hr = el("tr"); hr.appendChild(el("th", {}, title)); hr.appendChild(el("th", {}, "count")); hr.appendChild(el("th", {}, "share")); t.appendChild(hr);
    Object.keys(by).sort(function (a, b) { return by[b] - by[a]; }).forEach(function (k) {
      var r = el("tr"); r.appendChild(el("td", {}, names(Number(k)))); r.appendChild(el("td", { class: "n" }, by[k])); r.appendChild(el("td", { class: "n" }, pct(by[k], list.length))); t.appendChild(r);
    });
    return t;
  }
  function dist(p, layer) { return D.sets[p[0]].distances[p[1] * L + layer]; }
  function drawPanel() {
    var panel = document.getElementById("panel"), s = st.sel;
    panel.innerHTML = "";
    var h = el("h3", {}, s.label);
    panel.appendChild(h);
    var c = el("p", { class: "selcount" });
    c.appendChild(el("span", { id: "sel-count" }, String(s.list.length)));
    c.appendChild(document.createTextNode(" samples selected in " + viewName()));
    panel.appendChild(c);
    var clear = el("button", { type: "button", id: "sel-clear" }, "clear");
    clear.addEventListener("click", function () { st.sel = null; drawSankey(); panel.innerHTML = '<p class="note">Click a node or a band to list its samples here.</p>'; });
    var copy = el("button", { type: "button", id: "sel-copy" }, "copy ids");
    copy.addEventListener("click", function () { copyText(idsCsv(s.list)); copy.textContent = "copied"; });
    var dl = el("a", { id: "sel-download", download: "selection.csv", class: "button" }, "download ids (CSV)");
    dl.href = "data:text/csv;charset=utf-8," + encodeURIComponent(idsCsv(s.list));
    [clear, copy, dl].forEach(function (b) { panel.appendChild(b); });
    var tables = el("div", { class: "tables" });
    tables.appendChild(countTable("true class", s.list, function (x, i) { return grp(x, i); }, function (g) { return groups[g].label; }));
    if (D.with_predictions) tables.appendChild(countTable("predicted", s.list, function (x, i) { return x.predicted[i]; }, function (y) { return D.classes[y]; }));
    panel.appendChild(tables);
    var sorted = s.list.slice().sort(function (a, b) { return dist(a, s.layer) - dist(b, s.layer); });
    var protos = sorted.slice(0, PROTOS), rest = sorted.slice(PROTOS), atyp = rest.slice(Math.max(0, rest.length - ATYPICAL)).reverse();
    var lname = D.layers[s.layer];
    [["Prototypes: nearest their cluster centre in " + lname, protos], ["Most atypical: farthest from it", atyp]].forEach(function (part) {
      if (!part[1].length) return;
      panel.appendChild(el("h4", {}, part[0]));
      var g = el("div", { class: "thumbs" });
      part[1].forEach(function (p) { g.appendChild(thumb(p[0], p[1], sampleCaption(p[0], p[1]) + " · d=" + dist(p, s.layer))); });
      panel.appendChild(g);
    });
    if (s.list.length > PROTOS + ATYPICAL) panel.appendChild(el("p", { class: "note" }, (s.list.length - protos.length - atyp.length) + " more not shown; every id is in the export."));
  }
  function idsCsv(list) { return "set,id\n" + list.map(function (p) { return D.sets[p[0]].key + "," + D.sets[p[0]].ids[p[1]]; }).join("\n") + "\n"; }
  function copyText(t) {
    var a = el("textarea"); a.value = t; document.body.appendChild(a); a.select();
    try { document.execCommand("copy"); } catch (e) { /* the download link remains */ }
    document.body.removeChild(a);
  }

  // ---- controls: set switch and legend ----
  function drawControls() {
    var box = document.getElementById("controls");
    box.innerHTML = "";
    var lab = el("label", {}, "Set: ");
    var sw = el("select", { id: "set-switch" });
    sw.appendChild(el("option", { value: "all" }, (SHOWN === "test" ? "test" : "reference") + " + unseen sets (as sankey.svg)"));
    D.sets.forEach(function (s, i) { sw.appendChild(el("option", { value: String(i) }, s.name + " (" + s.key + ", " + s.ids.length + ")")); });
    sw.value = st.view;
    sw.addEventListener("change", function () { st.view = sw.value; st.sel = null; drawAll(); });
    lab.appendChild(sw);
    box.appendChild(lab);
    var leg = el("span", { class: "legend", id: "legend" });
    groups.forEach(function (g, gi) {
      var item = el("span", { class: "item" + (st.hidden[gi] ? " off" : ""), "data-g": gi });
      var name = el("button", { type: "button", class: "lg-toggle", title: "hide or show this class" });
      var sw2 = el("span", { class: "sw" + (g.injected ? " hatched" : "") }); sw2.style.background = g.colour;
      name.appendChild(sw2); name.appendChild(document.createTextNode(g.label));
      name.addEventListener("click", function () { st.hidden[gi] = !st.hidden[gi]; st.sel = null; drawAll(); });
      var only = el("button", { type: "button", class: "lg-only", title: "show only this class (again: show all)" }, "only");
      only.addEventListener("click", function () {
        var isolated = groups.every(function (x, j) { return j === gi ? !st.hidden[j] : st.hidden[j]; });
        groups.forEach(function (x, j) { st.hidden[j] = isolated ? false : j !== gi; });
        st.sel = null; drawAll();
      });
      item.appendChild(name); item.appendChild(only); leg.appendChild(item);
    });
    box.appendChild(leg);
    var pick = el("span", { class: "layer-picker", id: "layer-picker" });
    pick.appendChild(el("span", { class: "lp-title" }, "Layers drawn:"));
    D.layers.forEach(function (name, l) {
      var b = el("button", { type: "button", class: "lp" + (st.layers[l] ? " on" : ""), "data-l": l, "aria-pressed": st.layers[l] ? "true" : "false", title: "show or hide layer " + name + " in the Sankey" }, name);
      b.addEventListener("click", function () {
        var count = st.layers.filter(Boolean).length;
        if (st.layers[l] && count === 1) return; // keep one layer
        st.layers[l] = !st.layers[l]; drawControls(); drawSankey(); if (st.sel) drawPanel();
      });
      pick.appendChild(b);
    });
    var allB = el("button", { type: "button", class: "lp-all", id: "layers-all" }, "all " + L);
    allB.addEventListener("click", function () { st.layers = st.layers.map(function () { return true; }); drawControls(); drawSankey(); if (st.sel) drawPanel(); });
    var fewB = el("button", { type: "button", class: "lp-all", id: "layers-default" }, "default");
    fewB.addEventListener("click", function () { st.layers = defaultLayers(); drawControls(); drawSankey(); if (st.sel) drawPanel(); });
    pick.appendChild(allB); pick.appendChild(fewB);
    box.appendChild(pick);
  }

  // ---- unseen classes' routes, top anomalies ----
  function majority(name) { var c = name.slice(name.indexOf(":") + 1); return c.replace(/#\d+$/, ""); }
  function drawRoutes() {
    var box = document.getElementById("routes");
    if (!box) return;
    box.innerHTML = "";
    D.sets.forEach(function (s, si) {
      if (s.key.indexOf("unseen:") !== 0) return;
      var by = {};
      for (var i = 0; i < s.ids.length; i++) {
        // Runs of layers going to the same class are written once: "h1–h17→7".
        var r = [], start = 0;
        for (var l = 0; l < L; l++) {
          var m = majority(D.clusters[l][s.clusters[i * L + l]]);
          if (l + 1 < L && majority(D.clusters[l + 1][s.clusters[i * L + l + 1]]) === m) continue;
          r.push((start === l ? D.layers[l] : D.layers[start] + "–" + D.layers[l]) + "→" + m);
          start = l + 1;
        }
        var key = r.join(", ") + (s.predicted[i] >= 0 ? " · predicted " + D.classes[s.predicted[i]] : "");
        (by[key] = by[key] || []).push(i);
      }
      var sec = el("div", { class: "routes" });
      sec.appendChild(el("h3", {}, "Class " + s.key.slice(7) + " (" + s.name + "): " + s.ids.length + " samples, grouped by the classes whose clusters they go to"));
      Object.keys(by).sort(function (a, b) { return by[b].length - by[a].length; }).slice(0, ROUTES).forEach(function (k) {
        var rows = by[k], d = el("div", { class: "route" });
        var b = el("button", { type: "button", class: "route-select" }, rows.length + " (" + pct(rows.length, s.ids.length) + "): " + k);
        b.addEventListener("click", function () {
          st.view = String(si); st.sel = { label: "class " + s.key.slice(7) + ": " + k, layer: L - 1, list: rows.map(function (i) { return [si, i]; }) };
          drawControls(); drawSankey(); drawPanel(); document.getElementById("flows").scrollIntoView();
        });
        d.appendChild(b);
        var g = el("div", { class: "thumbs" });
        rows.slice().sort(function (x, y) { return s.distances[x * L] - s.distances[y * L]; }).slice(0, ROUTE_THUMBS)
          .forEach(function (i) { g.appendChild(thumb(si, i, "#" + s.ids[i])); });
        d.appendChild(g);
        sec.appendChild(d);
      });
      box.appendChild(sec);
    });
  }
  function drawAnomalies() {
    var box = document.getElementById("anomalies");
    if (!box) return;
    var all = [];
    D.sets.forEach(function (s, si) {
      if (s.key === "reference") return;
      s.score.forEach(function (v, i) { if (v !== null) all.push([si, i, v]); });
    });
    if (!all.length) return;
    all.sort(function (a, b) { return b[2] - a[2]; });
    box.appendChild(el("h3", {}, "Top " + Math.min(TOP_ANOMALIES, all.length) + " anomalies under the trusted score (" + D.score_name + "), over the test and unseen sets"));
    var g = el("div", { class: "thumbs" });
    all.slice(0, TOP_ANOMALIES).forEach(function (p) {
      var s = D.sets[p[0]], cls = groups[grp(s, p[1])], known = s.key.indexOf("unseen:") !== 0 && cls;
      g.appendChild(thumb(p[0], p[1], sampleCaption(p[0], p[1]) + (known ? " (" + cls.label + ")" : "") + " · " + p[2]));
    });
    box.appendChild(g);
  }

  // ---- K-trees ----
  function drawKTrees() {
    var box = document.getElementById("ktrees");
    if (!box) return;
    D.ktrees.forEach(function (t) {
      if (!t.ks.length) return; // a constant layer: no sweep
      var KW = 320, ROW = 44, KH = ROW * t.ks.length + 10, X0 = 44;
      var svg = el("svg:svg", { viewBox: "0 0 " + KW + " " + KH, width: KW, height: KH, class: "ktree" });
      var maxSize = Math.max.apply(null, t.sizes[0]);
      var xs = [];
      t.ks.forEach(function (k, ki) {
        var order = [], bary = [];
        for (var c = 0; c < k; c++) order.push(c);
        if (ki > 0) {
          var sum = new Array(k).fill(0), wt = new Array(k).fill(0);
          t.edges.forEach(function (e) { if (e[0] === ki - 1) { sum[e[2]] += xs[ki - 1][e[1]] * e[3]; wt[e[2]] += e[3]; } });
          for (c = 0; c < k; c++) bary[c] = wt[c] ? sum[c] / wt[c] : 0;
          order.sort(function (a, b) { return bary[a] - bary[b] || a - b; });
        }
        var x = [];
        order.forEach(function (c2, j) { x[c2] = X0 + (j + 0.5) * (KW - X0 - 6) / k; });
        xs.push(x);
      });
      var yOf = function (ki) { return 20 + ki * ROW; };
      t.edges.forEach(function (e) {
        var child = t.sizes[e[0] + 1][e[2]], share = e[3] / child;
        if (share < 0.1) return;
        svg.appendChild(el("svg:line", { x1: xs[e[0]][e[1]], y1: yOf(e[0]), x2: xs[e[0] + 1][e[2]], y2: yOf(e[0] + 1), stroke: "#444", "stroke-opacity": (0.25 + 0.6 * share).toFixed(2), "stroke-width": Math.max(0.6, 8 * e[3] / maxSize).toFixed(2) }));
      });
      t.ks.forEach(function (k, ki) {
        var chosen = k === t.chosen_k;
        svg.appendChild(el("svg:text", { x: 2, y: yOf(ki) + 4, class: chosen ? "kl chosen" : "kl" }, "K=" + k + (chosen ? " ✓" : "")));
        for (var c = 0; c < k; c++) {
          var size = t.sizes[ki][c], r = Math.max(1.5, 11 * Math.sqrt(size / maxSize)), m = t.majority[ki][c];
          var circ = el("svg:circle", { cx: xs[ki][c], cy: yOf(ki), r: r.toFixed(2), fill: D.groups[m] ? D.groups[m].colour : "#999", stroke: chosen ? "#000" : "#fff", "stroke-width": chosen ? 1.6 : 0.8 });
          circ.appendChild(el("svg:title", {}, "K=" + k + ", cluster " + c + ": " + size + " samples, " + (100 * t.purity[ki][c]).toFixed(1) + " % " + D.classes[m]));
          svg.appendChild(circ);
        }
      });
      var fig = el("figure", { class: "ktree" });
      fig.appendChild(svg);
      fig.appendChild(el("figcaption", {}, "K-tree of " + t.layer + " (reference set): how the clusters split as K grows; circle area ∝ size, colour = majority class, lines carry ≥ 10 % of a child cluster."));
      box.appendChild(fig);
    });
  }

  function drawAll() { if (!st.layers) st.layers = defaultLayers(); drawControls(); drawSankey(); var p = document.getElementById("panel"); if (!st.sel) p.innerHTML = '<p class="note">Click a node or a band to list its samples here.</p>'; }
  drawAll();
  drawRoutes();
  drawAnomalies();
  drawKTrees();
  window.mtqReadyMs = performance.now();
  document.body.setAttribute("data-ready", "1");
})();
