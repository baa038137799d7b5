/*
 * hexops hex map, the layers around the hexes (see dashboard/components/hexmap.py):
 * the offline basemap (water, then land from /api/v1/hexmap/land), place labels from the
 * gazetteer (/api/v1/hexmap/places), zones written by a page (hexops.zones/1), outlines on
 * critical cells, the scale bar, the zoom / reset buttons and keyboard access.
 * hexmap.js (loaded after this file: Dash loads assets in name order) calls these functions.
 */
(function () {
  "use strict";

  var data = window.hexops.hexmapData;
  var WATER = "#0a1c2e", LAND = "#1b232c", COAST = "rgba(120, 160, 190, 0.55)";
  //: The lowest zoom at which places of each rank are labelled (1 towns and waters, 2 landmarks, 3 street level).
  var RANK_ZOOM = {1: 9, 2: 11.6, 3: 13.2};
  //: Level of service colours: a viridis ramp, A (free) to F (crush); the letter is always written beside it.
  var LOS = {A: "#440154", B: "#414487", C: "#2a788e", D: "#22a884", E: "#7ad151", F: "#fde725"};

  function decodeLand(doc) {
    return doc.rings.map(function (flat) {
      var pts = new Float64Array(flat.length);
      for (var i = 0; i < flat.length; i += 2) { pts[i] = data.localX(flat[i]); pts[i + 1] = data.localY(flat[i + 1]); }
      return pts;
    });
  }

  function decodePlaces(doc) {
    return doc.places.map(function (p) {
      return {name: p.name, kind: p.kind, rank: p.rank, x: data.localX(p.lon), y: data.localY(p.lat)};
    });
  }

  function decodeZones(doc) {
    return (doc && doc.zones ? doc.zones : []).map(function (z) {
      var pts = new Float64Array(z.ring.length), sx = 0, sy = 0, n = z.ring.length / 2;
      for (var i = 0; i < z.ring.length; i += 2) {
        pts[i] = data.localX(z.ring[i]); pts[i + 1] = data.localY(z.ring[i + 1]);
        sx += pts[i]; sy += pts[i + 1];
      }
      return {id: z.id, name: z.name, los: z.los, pts: pts, lx: sx / n, ly: sy / n};
    });
  }

  function path(ctx, rings) {
    ctx.beginPath();
    rings.forEach(function (pts) {
      ctx.moveTo(pts[0], pts[1]);
      for (var i = 2; i < pts.length; i += 2) { ctx.lineTo(pts[i], pts[i + 1]); }
      ctx.closePath();
    });
  }

  function init(m) {
    m.land = null; m.places = null; m.zones = []; m.focusIndex = -1; m.home = null; m._labelBoxes = [];
    data.layer("/api/v1/hexmap/land", decodeLand).then(function (l) {
      m.land = l; m.el.dataset.land = String(l.length); m.redraw();
    }, function () { m.land = []; });
    data.layer("/api/v1/hexmap/places", decodePlaces).then(function (p) {
      m.places = p; m.el.dataset.places = String(p.length); m.redraw();
    }, function () { m.places = []; });
    bindControls(m);
    bindKeys(m);
  }

  // Water fills the whole view (screen coordinates); raster tiles, when configured, cover it.
  function drawWater(m, ctx) {
    ctx.fillStyle = WATER;
    ctx.fillRect(0, 0, m.width, m.height);
  }

  // Land (local coordinates), only without raster tiles: they have their own.
  function drawLand(m, ctx, k) {
    if (!m.land || !m.land.length || m.tileUrl) { return; }
    path(ctx, m.land);
    ctx.fillStyle = LAND; ctx.fill("evenodd");
    ctx.lineWidth = 1 / k; ctx.strokeStyle = COAST; ctx.stroke();
    m.el.dataset.landDrawn = String(m.land.length);
  }

  // Cells of the categories a page calls critical (doc.critical), outlined so they stand out
  // whatever the viewer's colour vision: a dark halo, then a white line.
  function drawCritical(m, ctx, k) {
    var doc = m.doc, g = m.shown;
    if (!doc || !doc.critical || !g || !m.values) { return; }
    var critical = {}, count = 0, rings = [];
    doc.critical.forEach(function (c) { critical[c] = true; });
    ctx.beginPath();
    for (var i = 0; i < g.n; i++) {
      var v = m.values[i];
      if (v === null || v === undefined || !critical[Math.round(v)]) { continue; }
      var s = g.starts[i], e = g.starts[i + 1];
      ctx.moveTo(g.vx[s], g.vy[s]);
      for (var j = s + 1; j < e; j++) { ctx.lineTo(g.vx[j], g.vy[j]); }
      ctx.closePath();
      rings.push(i);
      count++;
    }
    // Zoomed out a hex is a few pixels: ring it so that a handful among hundreds still show.
    if (Math.abs(g.vx[g.starts[0]] - g.cx[0]) * k < 8) {
      rings.forEach(function (c) {
        ctx.moveTo(g.cx[c] + 9 / k, g.cy[c]);
        ctx.arc(g.cx[c], g.cy[c], 9 / k, 0, 2 * Math.PI);
      });
    }
    ctx.lineJoin = "round";
    ctx.lineWidth = 5 / k; ctx.strokeStyle = "rgba(0, 0, 0, 0.85)"; ctx.stroke();
    ctx.lineWidth = 2.2 / k; ctx.strokeStyle = "#ffffff"; ctx.stroke();
    m.el.dataset.criticalCells = String(count);
  }

  function drawZones(m, ctx, k) {
    if (!m.zones || !m.zones.length) { return; }
    m.zones.forEach(function (z) {
      var colour = LOS[z.los] || "#9aa7b5";
      path(ctx, [z.pts]);
      ctx.globalAlpha = 0.22; ctx.fillStyle = colour; ctx.fill(); ctx.globalAlpha = 1;
      ctx.lineWidth = 4.5 / k; ctx.strokeStyle = "rgba(0, 0, 0, 0.8)"; ctx.stroke();
      ctx.lineWidth = 2.5 / k; ctx.strokeStyle = colour; ctx.stroke();
    });
    m.el.dataset.zonesDrawn = String(m.zones.length);
  }

  function clashes(boxes, box) {
    return boxes.some(function (b) { return box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3]; });
  }

  function label(ctx, text, x, y, boxes, font, fill) {
    ctx.font = font;
    var half = ctx.measureText(text).width / 2 + 3, box = [x - half, y - 13, x + half, y + 4];
    if (clashes(boxes, box)) { return false; }
    boxes.push(box);
    ctx.lineWidth = 3; ctx.strokeStyle = "rgba(6, 10, 16, 0.92)"; ctx.fillStyle = fill;
    ctx.strokeText(text, x, y); ctx.fillText(text, x, y);
    return true;
  }

  // Labels in screen coordinates: zones first (they matter most), then places by rank.
  function drawLabels(m, ctx) {
    var k = m._k(), cx = m.center[0], cy = m.center[1], w = m.width, h = m.height;
    var boxes = (m._labelBoxes || []).slice(), shown = 0;
    ctx.textAlign = "center";
    function screen(lx, ly) { return [w / 2 + (lx - cx) * k, h / 2 + (ly - cy) * k]; }
    if (m.zones && m.zones.length && m.zoom >= 12) {
      m.zones.forEach(function (z) {
        var p = screen(z.lx, z.ly);
        if (p[0] < 0 || p[1] < 0 || p[0] > w || p[1] > h) { return; }
        label(ctx, z.name + (z.los ? " \u00b7 LOS " + z.los : ""), p[0], p[1], boxes, "700 14px system-ui, sans-serif", "#ffffff");
      });
    }
    if (m.places) {
      var districts = {};
      (m.outlines || []).forEach(function (d) { districts[d.name] = true; });
      m.places.forEach(function (pl) {
        // A district's name is already written (hexmap.js) where its districts are drawn.
        if (m.zoom < (RANK_ZOOM[pl.rank] || 13) || districts[pl.name]) { return; }
        var p = screen(pl.x, pl.y);
        if (p[0] < 0 || p[1] < 0 || p[0] > w || p[1] > h) { return; }
        var water = pl.kind === "water";
        var font = (water ? "italic " : "") + (pl.rank === 1 ? "600 15px" : "13px") + " system-ui, sans-serif";
        if (label(ctx, pl.name, p[0], p[1], boxes, font, water ? "#9fd3ff" : "#e6ecf2")) { shown++; }
      });
    }
    m.el.dataset.placeLabels = String(shown);
  }

  // A scale bar of a round length (1, 2 or 5 x 10^n m) no longer than 120 px, bottom right.
  function drawScale(m, ctx) {
    var mpp = m._metresPerPixel(), target = 120 * mpp, p = Math.pow(10, Math.floor(Math.log10(target)));
    var metres = [5, 2, 1].map(function (f) { return f * p; }).filter(function (d) { return d <= target; })[0] || p;
    var px = metres / mpp, x1 = m.width - 16, x0 = x1 - px, y = m.height - 34;
    var text = metres >= 1000 ? (metres / 1000) + " km" : metres + " m";
    ctx.fillStyle = "rgba(8, 11, 16, 0.85)"; ctx.fillRect(x0 - 8, y - 20, px + 16, 30);
    ctx.strokeStyle = "#f3f6fa"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(x0, y - 6); ctx.lineTo(x0, y); ctx.lineTo(x1, y); ctx.lineTo(x1, y - 6); ctx.stroke();
    ctx.font = "13px system-ui, sans-serif"; ctx.fillStyle = "#f3f6fa"; ctx.textAlign = "center";
    ctx.fillText(text, (x0 + x1) / 2, y - 6);
    m.el.dataset.scale = text;
  }

  function drawFocus(m, ctx, k) {
    var g = m.shown, i = m.focusIndex;
    if (!g || i < 0 || i >= g.n) { return; }
    ctx.beginPath();
    ctx.moveTo(g.vx[g.starts[i]], g.vy[g.starts[i]]);
    for (var j = g.starts[i] + 1; j < g.starts[i + 1]; j++) { ctx.lineTo(g.vx[j], g.vy[j]); }
    ctx.closePath();
    ctx.setLineDash([6 / k, 4 / k]); ctx.lineWidth = 3 / k; ctx.strokeStyle = "#ffe14d"; ctx.stroke();
    ctx.setLineDash([]);
  }

  function zoomBy(m, delta) {
    if (!m.center) { return; }
    m.zoom = Math.max(8, Math.min(18, m.zoom + delta));
    m._viewChanged();
  }

  function reset(m) {
    var bbox = m.home || (m.geom && m.geom.bbox);
    if (!bbox) { return; }
    m._fit(bbox);
    m._viewChanged();
  }

  function bindControls(m) {
    var buttons = {".hexmap-zoom-in": function () { zoomBy(m, 1); }, ".hexmap-zoom-out": function () { zoomBy(m, -1); },
                   ".hexmap-reset": function () { reset(m); }};
    Object.keys(buttons).forEach(function (sel) {
      var b = m.el.querySelector(sel);
      if (b) { b.addEventListener("click", function (ev) { ev.preventDefault(); buttons[sel](); }); }
    });
  }

  // The nearest gazetteer place to a local point (names a hex for the keyboard and the tooltip).
  function nearestPlace(m, x, y) {
    if (!m.places || !m.places.length) { return ""; }
    var best = null, bestD = Infinity;
    m.places.forEach(function (p) {
      if (p.kind === "water" || p.kind === "area") { return; }
      var d = (p.x - x) * (p.x - x) + (p.y - y) * (p.y - y);
      if (d < bestD) { bestD = d; best = p; }
    });
    return best ? best.name : "";
  }

  function describe(m, i) {
    var g = m.shown, v = m.values ? m.values[i] : null, doc = m.doc || {};
    var text = v === null || v === undefined ? "no data" : (doc.labels ? doc.labels[Math.round(v)] : String(Math.round(v * 100) / 100));
    var place = nearestPlace(m, g.cx[i], g.cy[i]);
    return (doc.label ? doc.label + ": " : "") + text + (place ? ", near " + place : "") + " (hex " + g.cells[i] + ")";
  }

  // Cells the keyboard visits: those with a value, highest first (the ones worth looking at).
  function ranked(m) {
    var g = m.shown, out = [];
    if (!g || !m.values) { return out; }
    for (var i = 0; i < g.n; i++) { if (m.values[i] !== null && m.values[i] !== undefined) { out.push(i); } }
    return out.sort(function (a, b) { return m.values[b] - m.values[a]; });
  }

  // The cell with a value nearest to the focused one in a direction (dx, dy in screen terms).
  function step(m, dx, dy) {
    var g = m.shown, cells = ranked(m), from = m.focusIndex, best = -1, bestScore = Infinity;
    if (!cells.length) { return -1; }
    if (from < 0) { return cells[0]; }
    cells.forEach(function (i) {
      if (i === from) { return; }
      var vx = g.cx[i] - g.cx[from], vy = g.cy[i] - g.cy[from], along = vx * dx + vy * dy;
      if (along <= 0) { return; }
      var across = Math.abs(vx * dy - vy * dx), score = along + 2 * across;
      if (score < bestScore) { bestScore = score; best = i; }
    });
    return best < 0 ? from : best;
  }

  function focusCell(m, i) {
    var g = m.shown;
    if (!g || i < 0) { return; }
    m.focusIndex = i;
    var k = m._k(), sx = (g.cx[i] - m.center[0]) * k, sy = (g.cy[i] - m.center[1]) * k;
    if (Math.abs(sx) > m.width / 2 - 40 || Math.abs(sy) > m.height / 2 - 40) { m.center = [g.cx[i], g.cy[i]]; }
    m.el.dataset.focusCell = g.cells[i];
    var live = m.el.querySelector(".hexmap-live");
    if (live) { live.textContent = describe(m, i); }
    m.redraw();
  }

  function bindKeys(m) {
    var canvas = m.canvas;
    canvas.tabIndex = 0;
    canvas.addEventListener("keydown", function (ev) {
      if (!m.center) { return; }
      var key = ev.key, pan = 0.25 / m._k(), g = m.shown, handled = true;
      var dirs = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1]};
      if (dirs[key] && ev.shiftKey) {
        m.center = [m.center[0] + dirs[key][0] * pan * m.width, m.center[1] + dirs[key][1] * pan * m.height];
        m._viewChanged();
      } else if (dirs[key]) {
        focusCell(m, step(m, dirs[key][0], dirs[key][1]));
      } else if (key === "n" || key === "p") {
        var cells = ranked(m), at = cells.indexOf(m.focusIndex);
        if (cells.length) { focusCell(m, cells[(at + (key === "n" ? 1 : cells.length - 1)) % cells.length]); }
      } else if (key === "+" || key === "=") { zoomBy(m, 1); }
      else if (key === "-" || key === "_") { zoomBy(m, -1); }
      else if (key === "0" || key === "Home") { reset(m); }
      else if ((key === "Enter" || key === " ") && g && m.focusIndex >= 0) {
        // The same as a click: the page shows the explanation of the selected hex.
        m.selected = g.cells[m.focusIndex];
        m.el.dataset.selected = m.selected;
        if (window.dash_clientside && window.dash_clientside.set_props) {
          window.dash_clientside.set_props(m.el.id + "-selected", {data: m.selected});
        }
        m.redraw();
      } else if (key === "Escape") { m.focusIndex = -1; m.el.dataset.focusCell = ""; m.redraw(); }
      else { handled = false; }
      if (handled) { ev.preventDefault(); }
    });
  }

  window.hexops.hexmapLayers = {
    init: init, drawWater: drawWater, drawLand: drawLand, drawCritical: drawCritical, drawZones: drawZones,
    drawLabels: drawLabels, drawScale: drawScale, drawFocus: drawFocus, nearestPlace: nearestPlace,
    setZones: function (m, doc) {
      var first = !m.zones || !m.zones.length;
      m.zones = decodeZones(doc);
      // The first zones frame the view (an event manager looks at the event, not the territory).
      if (first && m.zones.length && !m.userMoved) {
        var b = [Infinity, Infinity, -Infinity, -Infinity];
        m.zones.forEach(function (z) {
          for (var i = 0; i < z.pts.length; i += 2) {
            b[0] = Math.min(b[0], z.pts[i]); b[1] = Math.min(b[1], z.pts[i + 1]);
            b[2] = Math.max(b[2], z.pts[i]); b[3] = Math.max(b[3], z.pts[i + 1]);
          }
        });
        var padX = (b[2] - b[0]) * 0.15, padY = (b[3] - b[1]) * 0.15;
        m._fit([b[0] - padX, b[1] - padY, b[2] + padX, b[3] + padY]);
        m._viewChanged();
        m.userMoved = false;
      }
      m.redraw();
    },
    home: function (m, bbox) { if (!m.home) { m.home = bbox; } }
  };
})();
