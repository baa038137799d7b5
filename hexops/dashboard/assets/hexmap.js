/*
 * hexops hex map: a small canvas renderer for H3 hexes (see dashboard/components/hexmap.py);
 * fetching and decoding live in hexmap-data.js.
 *
 * Geometry (hexops.hexgeom/1) is fetched once per resolution and kept in memory (and in the
 * browser's HTTP cache through its ETag); value updates (hexops.hexvalues/1) are plain arrays
 * aligned to the geometry's cell order, so an update is a recolour, not a new figure.
 * Coordinates arrive as quantised WGS84 lon/lat and are projected to Web Mercator, kept
 * relative to a local origin so that canvas float precision holds at street zoom.
 */
(function () {
  "use strict";

  var MIN_HEX_PX = {8: 0, 9: 2, 10: 9};   // finest resolution whose hexes are at least this wide
  var HEX_WIDTH_M = {8: 920, 9: 350, 10: 130};
  var NO_DATA = "rgba(120, 132, 150, 0.16)";

  var data = window.hexops.hexmapData;
  var TILE = data.TILE, LOCAL = data.LOCAL, ORIGIN_X = data.ORIGIN_X, ORIGIN_Y = data.ORIGIN_Y;
  var geometry = data.geometry, layer = data.layer;
  var decodeOutlines = data.decodeOutlines, decodeCameras = data.decodeCameras;
  var layers = window.hexops.hexmapLayers;   // basemap, labels, zones, controls (hexmap-layers.js)
  var maps = {};              // container id -> HexMap

  function HexMap(el) {
    this.el = el;
    this.canvas = el.querySelector("canvas");
    this.tooltip = el.querySelector(".hexmap-tooltip");
    this.resolutions = JSON.parse(el.dataset.resolutions || "[9]");
    this.resolution = parseInt(el.dataset.resolution || this.resolutions[0], 10);
    this.colors = JSON.parse(el.dataset.colors || "[]");
    this.tileUrl = el.dataset.tileUrl || "";
    this.showDistricts = el.dataset.districts === "1";
    this.showCameras = el.dataset.cameras === "1";
    this.drawable = el.dataset.draw === "1";
    this.drawing = null;       // draw mode: {pts: [[x, y] local], closed: bool}, else null
    this.geom = null;          // geometry of the current resolution (loaded)
    this.shown = null;         // geometry that the drawn values belong to
    this.doc = null;           // values document drawn now
    this.pending = null;       // values waiting for their geometry
    this.center = null;        // local coordinates of the view centre
    this.zoom = 10;
    this.selected = null;
    this.hover = -1;
    this.tiles = {};
    this.drawSeq = 0;
    this.frame = 0;
    this.userMoved = false;
    this.outlines = null;
    this.cameras = null;
    this._bind();
    layers.init(this);
    this._resize();
    this._load(this.resolution, null);
    var self = this;
    if (this.showDistricts) {
      layer("/api/v1/hexmap/districts", decodeOutlines).then(function (o) { self.outlines = o; self.redraw(); },
        function () { self.outlines = []; });
    }
    if (this.showCameras) {
      layer("/api/v1/hexmap/cameras", decodeCameras).then(function (c) { self.cameras = c; self.redraw(); },
        function () { self.cameras = null; });
    }
  }

  HexMap.prototype._load = function (resolution, version) {
    var self = this;
    return geometry(resolution, version).then(function (g) {
      if (g.resolution !== self.resolution) { return; }
      if (!self.geom || self.geom.resolution !== resolution || self.geom.version !== g.version) {
        self.geom = g;
        layers.home(self, g.bbox);
        if (!self.center) { self._fit(g.bbox); }
      }
      // Outlines and cameras can be drawn as soon as the view is known, before any values.
      self.redraw();
      self._applyPending();
    }, function (err) {
      self.el.dataset.error = String(err);
    });
  };

  HexMap.prototype._applyPending = function () {
    var doc = this.pending, g = this.geom;
    if (!doc || !g || doc.resolution !== g.resolution) { return; }
    if (doc.version && doc.version !== g.version) {
      // The cell set changed since the geometry was cached: fetch the matching one.
      this._load(doc.resolution, doc.version);
      return;
    }
    this.pending = null;
    this.doc = doc;
    this.values = dense(doc, g.n);
    this.shown = g;
    this._colour(doc);
    // New values are drawn at once (one frame sooner); pan and zoom are coalesced by redraw().
    if (this.frame) { cancelAnimationFrame(this.frame); this.frame = 0; }
    this._draw();
  };

  HexMap.prototype.setValues = function (doc) {
    if (!doc || !doc.values) { return; }
    this.pending = doc;
    if (!this.geom || this.geom.resolution !== doc.resolution) {
      if (doc.resolution === this.resolution) { this._load(doc.resolution, null); }
      return;
    }
    this._applyPending();
  };

  HexMap.prototype._colour = function (doc) {
    var values = this.values, colors = doc.colors || this.colors, nbins = colors.length;
    var discrete = !!doc.labels, lo, hi, sqrt = doc.scale === "sqrt";
    if (discrete) { lo = 0; hi = nbins; } else if (doc.domain) { lo = doc.domain[0]; hi = doc.domain[1]; } else {
      var present = values.filter(function (v) { return v !== null; }).sort(function (a, b) { return a - b; });
      lo = present.length && present[0] < 0 ? present[0] : 0;
      hi = present.length ? present[Math.min(present.length - 1, Math.floor(present.length * 0.98))] : 1;
      if (!(hi > lo)) { hi = lo + 1; }
    }
    // Counts are heavy-tailed: a square-root scale keeps the ordinary hexes distinguishable.
    var f = sqrt ? function (x) { return Math.sqrt(Math.max(x, 0)); } : function (x) { return x; };
    var flo = f(lo), fspan = f(hi) - flo;
    function scaled(x) { return (f(x) - flo) / fspan; }
    var bins = new Int16Array(values.length);
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      if (v === null || v === undefined) { bins[i] = -1; continue; }
      var b = discrete ? Math.round(v) : Math.floor(scaled(v) * nbins);
      bins[i] = b < 0 ? 0 : (b >= nbins ? nbins - 1 : b);
    }
    this.bins = bins;
    // Cells grouped by bin (no data first) so that each colour is set once per draw.
    var order = [];
    for (i = 0; i <= nbins; i++) { order.push([]); }
    for (i = 0; i < bins.length; i++) { order[bins[i] + 1].push(i); }
    this.order = order;
    var mid = sqrt ? Math.pow((Math.sqrt(Math.max(lo, 0)) + Math.sqrt(hi)) / 2, 2) : (lo + hi) / 2;
    this.legend = {colors: colors, lo: lo, hi: hi, mid: mid, labels: doc.labels || null, label: doc.label || ""};
  };

  // Values in the geometry's order, from either form of hexops.hexvalues/1.
  function dense(doc, n) {
    if (!doc.index) { return doc.values; }
    var fill = doc.fill === undefined ? null : doc.fill, out = new Array(n);
    for (var i = 0; i < n; i++) { out[i] = fill; }
    for (var k = 0; k < doc.index.length; k++) { out[doc.index[k]] = doc.values[k]; }
    return out;
  }

  HexMap.prototype._fit = function (bbox) {
    var w = this.width || 800, h = this.height || 600;
    var sx = (bbox[2] - bbox[0]) / LOCAL, sy = (bbox[3] - bbox[1]) / LOCAL;
    this.center = [(bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2];
    this.zoom = Math.log2(Math.min(w / (sx * 1.05), h / (sy * 1.05)));
  };

  HexMap.prototype._resize = function () {
    var rect = this.el.getBoundingClientRect(), dpr = window.devicePixelRatio || 1;
    this.width = Math.max(1, rect.width); this.height = Math.max(1, rect.height); this.dpr = dpr;
    this.canvas.width = Math.round(this.width * dpr); this.canvas.height = Math.round(this.height * dpr);
    this.canvas.style.width = this.width + "px"; this.canvas.style.height = this.height + "px";
    this.redraw();
  };

  // Pixels per local unit at the current zoom.
  HexMap.prototype._k = function () { return Math.pow(2, this.zoom) / LOCAL; };
  HexMap.prototype.toLocal = function (px, py) {
    var k = this._k();
    return [this.center[0] + (px - this.width / 2) / k, this.center[1] + (py - this.height / 2) / k];
  };

  // Local Web Mercator units back to lon/lat (EPSG:4326): the inverse of hexmap-data.js's localX/localY.
  HexMap.prototype.toLonLat = function (lx, ly) {
    var mx = lx / LOCAL + ORIGIN_X, my = ly / LOCAL + ORIGIN_Y;
    var lat = Math.atan(Math.sinh((0.5 - my / TILE) * 2 * Math.PI)) * 180 / Math.PI;
    return [mx / TILE * 360 - 180, lat];
  };

  // "Show on map": centre on a place ({cell, lat, lon}, EPSG:4326), zoom in to street level and outline the cell.
  HexMap.prototype.focus = function (target) {
    if (!target || target.lat === undefined || target.lon === undefined) { return; }
    this.center = [data.localX(target.lon), data.localY(target.lat)];
    this.zoom = Math.max(this.zoom, this.resolution >= 10 ? 16 : 14.5);
    this.selected = target.cell || null;
    this.el.dataset.selected = this.selected || "";
    this.el.dataset.focused = this.selected || "";
    this._viewChanged();
  };

  HexMap.prototype.setDrawing = function (on) {
    this.drawing = on && this.drawable ? {pts: [], closed: false} : null;
    this.el.dataset.drawing = this.drawing ? "1" : "0";
    this.el.dataset.drawVertices = "0"; this.el.dataset.drawClosed = "0";
    this.redraw();
  };

  // A click in draw mode: add a vertex, or close the ring on the first vertex (>= 3 vertices).
  HexMap.prototype._drawClick = function (px, py) {
    var d = this.drawing, k = this._k(), p = this.toLocal(px, py);
    if (d.closed) { return; }
    function near(q, tol) { return Math.abs(q[0] - p[0]) * k < tol && Math.abs(q[1] - p[1]) * k < tol; }
    if (d.pts.length >= 3 && near(d.pts[0], 8)) { this._closeDrawing(); return; }
    // The second click of a double-click lands on the last vertex: not a new one.
    if (d.pts.length && near(d.pts[d.pts.length - 1], 4)) { return; }
    d.pts.push(p);
    this.el.dataset.drawVertices = String(d.pts.length);
    this.redraw();
  };

  HexMap.prototype._closeDrawing = function () {
    var d = this.drawing, self = this;
    if (!d || d.closed || d.pts.length < 3) { return; }
    d.closed = true;
    var ring = d.pts.concat([d.pts[0]]).map(function (q) {
      var ll = self.toLonLat(q[0], q[1]);
      return [Math.round(ll[0] * 1e7) / 1e7, Math.round(ll[1] * 1e7) / 1e7];   // ~1 cm
    });
    this.el.dataset.drawClosed = "1";
    setProps(this.el.id + "-drawn", {data: ring});
    this.redraw();
  };

  // The polygon being drawn, on top of everything (ctx in local units).
  HexMap.prototype._drawDrawing = function (ctx, k) {
    var pts = this.drawing.pts, i;
    if (!pts.length) { return; }
    ctx.beginPath();
    ctx.moveTo(pts[0][0], pts[0][1]);
    for (i = 1; i < pts.length; i++) { ctx.lineTo(pts[i][0], pts[i][1]); }
    if (this.drawing.closed) {
      ctx.closePath(); ctx.fillStyle = "rgba(0, 229, 255, 0.18)"; ctx.fill();
    }
    ctx.lineWidth = 2.5 / k; ctx.strokeStyle = "#00e5ff"; ctx.stroke();
    ctx.fillStyle = "#ffffff";
    for (i = 0; i < pts.length; i++) {
      ctx.beginPath(); ctx.arc(pts[i][0], pts[i][1], (i ? 4 : 6) / k, 0, 2 * Math.PI); ctx.fill();
    }
  };

  HexMap.prototype.redraw = function () {
    var self = this;
    if (this.frame) { return; }
    this.frame = requestAnimationFrame(function () { self.frame = 0; self._draw(); });
  };

  HexMap.prototype._draw = function () {
    var ctx = this.canvas.getContext("2d"), dpr = this.dpr, w = this.width, h = this.height;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    if (!this.center) { return; }
    var k = this._k(), cx = this.center[0], cy = this.center[1];
    layers.drawWater(this, ctx);
    if (this.tileUrl) { this._drawTiles(ctx); }
    ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * (w / 2 - cx * k), dpr * (h / 2 - cy * k));
    layers.drawLand(this, ctx, k);
    var g = this.shown, drawn = 0, markers = this.zoom >= 12.5;
    // Zoomed out, cameras are a faint texture under the hexes; zoomed in, markers on top.
    if (this.cameras && !markers) { this._drawCameras(ctx, k); }
    if (g && this.doc && this.bins) {
      drawn = this._drawHexes(ctx, g, k);
    }
    if (g && this.doc && this.bins) { layers.drawCritical(this, ctx, k); }
    layers.drawZones(this, ctx, k);
    if (this.outlines) { this._drawOutlines(ctx, k); } else { this._labelBoxes = []; }
    if (this.cameras && markers) { this._drawCameras(ctx, k); }
    if (g && this.selected !== null) { this._drawSelected(ctx, g, k); }
    layers.drawFocus(this, ctx, k);
    if (this.drawing) { this._drawDrawing(ctx, k); }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    layers.drawLabels(this, ctx);
    if (this.legend) { this._drawLegend(ctx); }
    layers.drawScale(this, ctx);
    if (g && this.doc) {
      // Published once the frame has been painted (the next frame's task), so that
      // tests and the benchmark see a map that is on screen, not merely queued.
      var el = this.el, seq = ++this.drawSeq, resolution = g.resolution;
      requestAnimationFrame(function () {
        setTimeout(function () {
          el.dataset.drawnCells = String(drawn);
          el.dataset.drawnResolution = String(resolution);
          el.dataset.drawnAt = String(performance.now());
          el.dataset.drawSeq = String(seq);
        }, 0);
      });
    }
  };

  // One fill per hex, grouped by colour: Skia rasterises a single path of thousands of
  // small sub-polygons ~30x slower than the same polygons filled one by one.
  HexMap.prototype._drawHexes = function (ctx, g, k) {
    var half = Math.max(this.width, this.height) / k;   // generous cull margin
    var x0 = this.center[0] - half, x1 = this.center[0] + half;
    var y0 = this.center[1] - half, y1 = this.center[1] + half;
    var nb = this.legend.colors.length, order = this.order, drawn = 0;
    var hexPx = HEX_WIDTH_M[g.resolution] / this._metresPerPixel();
    var edges = hexPx > 14;
    // Most hexes have no camera.  While hexes are only a few pixels wide their faint
    // no-data fill is a uniform wash, so the districts are filled once instead of
    // filling tens of thousands of tiny hexes (res 10 over the whole city: ~300 ms).
    var washed = hexPx < 6 && this.outlines && this.outlines.length > 0;
    if (washed) { this._fillDistricts(ctx); }
    ctx.lineWidth = 1 / k; ctx.strokeStyle = "rgba(10, 14, 20, 0.55)";
    for (var b = washed ? 0 : -1; b < nb; b++) {
      var cells = order[b + 1];
      ctx.fillStyle = b < 0 ? NO_DATA : this.legend.colors[b];
      for (var c = 0; c < cells.length; c++) {
        var i = cells[c], x = g.cx[i], y = g.cy[i];
        if (x < x0 || x > x1 || y < y0 || y > y1) { continue; }
        var s = g.starts[i], e = g.starts[i + 1];
        ctx.beginPath();
        ctx.moveTo(g.vx[s], g.vy[s]);
        for (var j = s + 1; j < e; j++) { ctx.lineTo(g.vx[j], g.vy[j]); }
        ctx.closePath();
        ctx.fill();
        if (edges) { ctx.stroke(); }
        if (b >= 0) { drawn++; }
      }
    }
    return drawn;
  };

  HexMap.prototype._fillDistricts = function (ctx) {
    ctx.beginPath();
    this.outlines.forEach(function (d) {
      d.rings.forEach(function (pts) {
        ctx.moveTo(pts[0], pts[1]);
        for (var i = 2; i < pts.length; i += 2) { ctx.lineTo(pts[i], pts[i + 1]); }
        ctx.closePath();
      });
    });
    ctx.fillStyle = NO_DATA;
    ctx.fill("evenodd");
  };

  HexMap.prototype._drawOutlines = function (ctx, k) {
    ctx.lineWidth = 1.6 / k; ctx.strokeStyle = "rgba(235, 240, 248, 0.85)"; ctx.lineJoin = "round";
    var path = new Path2D();
    this.outlines.forEach(function (d) {
      d.rings.forEach(function (pts) {
        path.moveTo(pts[0], pts[1]);
        for (var i = 2; i < pts.length; i += 2) { path.lineTo(pts[i], pts[i + 1]); }
      });
    });
    ctx.stroke(path);
    this._labelBoxes = [];
    if (this.zoom >= 10.3) {
      var dpr = this.dpr, w = this.width, h = this.height, cx = this.center[0], cy = this.center[1];
      ctx.save(); ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.font = "600 13px system-ui, sans-serif"; ctx.textAlign = "center";
      ctx.lineWidth = 3; ctx.strokeStyle = "rgba(8, 11, 16, 0.9)"; ctx.fillStyle = "#f3f6fa";
      var placed = [];
      this.outlines.forEach(function (d) {
        var x = w / 2 + (d.lx - cx) * k, y = h / 2 + (d.ly - cy) * k;
        if (x < 0 || y < 0 || x > w || y > h) { return; }
        // Skip a name that would overlap one already drawn (small districts crowd the harbour).
        var half = ctx.measureText(d.name).width / 2 + 4;
        var box = [x - half, y - 14, x + half, y + 4];
        var clash = placed.some(function (b) { return box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3]; });
        if (clash) { return; }
        placed.push(box);
        ctx.strokeText(d.name, x, y); ctx.fillText(d.name, x, y);
      });
      ctx.restore();
      this._labelBoxes = placed;   // place labels (hexmap-layers.js) keep clear of district names
    }
  };

  HexMap.prototype._drawCameras = function (ctx, k) {
    var c = this.cameras, r = 2.5 / k, half = Math.max(this.width, this.height) / k, i;
    if (this.zoom < 12.5) {
      // Zoomed out, 5,000 cameras are a texture: faint 1.5 px squares rather than markers.
      var d = 1.5 / k;
      ctx.fillStyle = "rgba(150, 225, 255, 0.5)";
      for (i = 0; i < c.n; i++) { ctx.fillRect(c.x[i] - d / 2, c.y[i] - d / 2, d, d); }
      return;
    }
    ctx.fillStyle = "#e6fbff"; ctx.lineWidth = 1 / k; ctx.strokeStyle = "#081018";
    for (i = 0; i < c.n; i++) {
      if (Math.abs(c.x[i] - this.center[0]) > half || Math.abs(c.y[i] - this.center[1]) > half) { continue; }
      ctx.beginPath(); ctx.arc(c.x[i], c.y[i], r, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    }
  };

  HexMap.prototype._drawSelected = function (ctx, g, k) {
    var i = g.cells.indexOf(this.selected);
    if (i < 0) { return; }
    ctx.beginPath();
    ctx.moveTo(g.vx[g.starts[i]], g.vy[g.starts[i]]);
    for (var j = g.starts[i] + 1; j < g.starts[i + 1]; j++) { ctx.lineTo(g.vx[j], g.vy[j]); }
    ctx.closePath();
    ctx.lineWidth = 3 / k; ctx.strokeStyle = "#00e5ff"; ctx.stroke();
  };

  // Named categories (flood states) get one row each: side by side, their
  // labels would overrun the 26 px swatches and each other.
  HexMap.prototype._drawCategoryLegend = function (ctx) {
    var L = this.legend, n = L.colors.length, x = 14, row = 20, i, w;
    var top = this.height - 22 - (n + 1) * row - 26;
    ctx.font = "13px system-ui, sans-serif";
    w = ctx.measureText("no data").width;
    for (i = 0; i < n; i++) { w = Math.max(w, ctx.measureText(L.labels[i] || "").width); }
    ctx.font = "600 14px system-ui, sans-serif";
    w = Math.max(w + 24, ctx.measureText(L.label).width);
    ctx.fillStyle = "rgba(8, 11, 16, 0.94)";
    ctx.fillRect(x - 8, top, w + 16, (n + 1) * row + 34);
    ctx.fillStyle = "#f3f6fa"; ctx.textAlign = "left";
    ctx.fillText(L.label, x, top + 20);
    ctx.font = "13px system-ui, sans-serif";
    for (i = 0; i <= n; i++) {
      var y = top + 30 + i * row;
      if (i < n) {
        ctx.fillStyle = L.colors[i]; ctx.fillRect(x, y, 14, 14);
      } else {
        ctx.fillStyle = NO_DATA; ctx.fillRect(x, y, 14, 14);
        ctx.strokeStyle = "#8a96a6"; ctx.lineWidth = 1; ctx.strokeRect(x + 0.5, y + 0.5, 13, 13);
      }
      ctx.fillStyle = "#dfe6ee";
      ctx.fillText(i < n ? (L.labels[i] || "") : "no data", x + 22, y + 12);
    }
  };

  HexMap.prototype._drawLegend = function (ctx) {
    if (this.legend.labels) { this._drawCategoryLegend(ctx); return; }
    var L = this.legend, n = L.colors.length, x = 14, y = this.height - 20, sw = 26, i;
    var boxW = n * sw + 110;   // the ramp, then the no-data swatch and its label
    ctx.fillStyle = "rgba(8, 11, 16, 0.94)";
    ctx.fillRect(x - 8, y - 58, boxW, 70);
    ctx.font = "600 14px system-ui, sans-serif"; ctx.fillStyle = "#f3f6fa"; ctx.textAlign = "left";
    ctx.fillText(L.label, x, y - 40);
    for (i = 0; i < n; i++) { ctx.fillStyle = L.colors[i]; ctx.fillRect(x + i * sw, y - 30, sw, 14); }
    ctx.font = "13px system-ui, sans-serif"; ctx.fillStyle = "#dfe6ee";
    ctx.fillText(fmt(L.lo), x, y);
    ctx.textAlign = "center"; ctx.fillText(fmt(L.mid), x + n * sw / 2, y);
    ctx.textAlign = "right"; ctx.fillText("\u2265 " + fmt(L.hi), x + n * sw, y);
    ctx.fillStyle = NO_DATA; ctx.fillRect(x + n * sw + 12, y - 30, 14, 14);
    ctx.strokeStyle = "#8a96a6"; ctx.lineWidth = 1; ctx.strokeRect(x + n * sw + 12.5, y - 29.5, 13, 13);
    ctx.fillStyle = "#dfe6ee"; ctx.textAlign = "left"; ctx.fillText("no data", x + n * sw + 30, y - 18);
  };

  function fmt(v) {
    if (Math.abs(v) >= 100) { return String(Math.round(v)); }
    return String(Math.round(v * 100) / 100);
  }

  HexMap.prototype._metresPerPixel = function () {
    var lat = 22.35 * Math.PI / 180;
    return 40075016.7 * Math.cos(lat) / (TILE * Math.pow(2, this.zoom));
  };

  HexMap.prototype._drawTiles = function (ctx) {
    var z = Math.max(0, Math.min(19, Math.floor(this.zoom))), f = Math.pow(2, this.zoom - z);
    var k = this._k(), self = this;
    var wx = this.center[0] / LOCAL + ORIGIN_X, wy = this.center[1] / LOCAL + ORIGIN_Y;   // zoom-0 pixels
    var px = wx * Math.pow(2, z), py = wy * Math.pow(2, z), size = TILE * f;
    var tx0 = Math.floor((px - this.width / 2 / f) / TILE), tx1 = Math.floor((px + this.width / 2 / f) / TILE);
    var ty0 = Math.floor((py - this.height / 2 / f) / TILE), ty1 = Math.floor((py + this.height / 2 / f) / TILE);
    for (var tx = tx0; tx <= tx1; tx++) {
      for (var ty = ty0; ty <= ty1; ty++) {
        var url = this.tileUrl.replace("{z}", z).replace("{x}", tx).replace("{y}", ty);
        var img = this.tiles[url];
        if (!img) {
          // No crossOrigin: tiles are only drawn, never read back, so servers without CORS work.
          img = this.tiles[url] = new Image();
          img.onload = function () { self.redraw(); };
          img.src = url;
        }
        if (img.complete && img.naturalWidth) {
          ctx.drawImage(img, this.width / 2 + (tx * TILE - px) * f, this.height / 2 + (ty * TILE - py) * f, size, size);
        }
      }
    }
    return k;
  };

  // The cell under a screen point: nearest centre, then a point-in-polygon check.
  HexMap.prototype.pick = function (px, py) {
    var g = this.shown;
    if (!g || !this.center) { return -1; }
    var p = this.toLocal(px, py), best = -1, bestD = Infinity;
    for (var i = 0; i < g.n; i++) {
      var dx = g.cx[i] - p[0], dy = g.cy[i] - p[1], d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = i; }
    }
    if (best < 0) { return -1; }
    var inside = false, s = g.starts[best], e = g.starts[best + 1];
    for (var a = s, b = e - 1; a < e; b = a++) {
      if (((g.vy[a] > p[1]) !== (g.vy[b] > p[1])) &&
          (p[0] < (g.vx[b] - g.vx[a]) * (p[1] - g.vy[a]) / (g.vy[b] - g.vy[a]) + g.vx[a])) { inside = !inside; }
    }
    return inside ? best : -1;
  };

  HexMap.prototype._bind = function () {
    var self = this, canvas = this.canvas, drag = null;
    canvas.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var rect = canvas.getBoundingClientRect(), px = ev.clientX - rect.left, py = ev.clientY - rect.top;
      var before = self.toLocal(px, py);
      self.zoom = Math.max(8, Math.min(18, self.zoom - ev.deltaY * 0.0025));
      var after = self.toLocal(px, py);
      self.center = [self.center[0] + before[0] - after[0], self.center[1] + before[1] - after[1]];
      self._viewChanged();
    }, {passive: false});
    canvas.addEventListener("pointerdown", function (ev) {
      drag = {x: ev.clientX, y: ev.clientY, c: self.center && self.center.slice(), moved: false};
      canvas.setPointerCapture(ev.pointerId);
    });
    canvas.addEventListener("pointermove", function (ev) {
      if (drag && drag.c) {
        var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y, k = self._k();
        if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; }
        self.center = [drag.c[0] - dx / k, drag.c[1] - dy / k];
        self._viewChanged();
        return;
      }
      self._hover(ev);
    });
    canvas.addEventListener("pointerup", function (ev) {
      var wasDrag = drag && drag.moved;
      drag = null;
      if (wasDrag) { return; }
      var rect = canvas.getBoundingClientRect();
      if (self.drawing) { if (self.center) { self._drawClick(ev.clientX - rect.left, ev.clientY - rect.top); } return; }
      var i = self.pick(ev.clientX - rect.left, ev.clientY - rect.top);
      self.selected = i >= 0 ? self.shown.cells[i] : null;
      self.el.dataset.selected = self.selected || "";
      setProps(self.el.id + "-selected", {data: self.selected});
      self.redraw();
    });
    canvas.addEventListener("dblclick", function () { if (self.drawing) { self._closeDrawing(); } });
    canvas.addEventListener("pointerleave", function () { self.tooltip.style.display = "none"; });
    if (window.ResizeObserver) { new ResizeObserver(function () { self._resize(); }).observe(this.el); }
  };

  HexMap.prototype._hover = function (ev) {
    var rect = this.canvas.getBoundingClientRect(), px = ev.clientX - rect.left, py = ev.clientY - rect.top;
    var i = this.pick(px, py), tip = this.tooltip;
    if (i < 0 || !this.doc) { tip.style.display = "none"; return; }
    var v = this.values[i];
    var text = v === null || v === undefined ? "no data" : (this.doc.labels ? this.doc.labels[Math.round(v)] : fmt(v));
    var place = layers.nearestPlace(this, this.shown.cx[i], this.shown.cy[i]);
    tip.textContent = (this.legend && this.legend.label ? this.legend.label + ": " : "") + text +
      (place ? " \u00b7 near " + place : "") + " \u00b7 " + this.shown.cells[i];
    tip.style.display = "block"; tip.style.left = (px + 14) + "px"; tip.style.top = (py + 14) + "px";
  };

  HexMap.prototype._viewChanged = function () {
    this.userMoved = true;
    this.redraw();
    var mpp = this._metresPerPixel(), chosen = this.resolutions[0];
    this.resolutions.forEach(function (r) { if (HEX_WIDTH_M[r] / mpp >= MIN_HEX_PX[r]) { chosen = r; } });
    if (chosen !== this.resolution) {
      this.resolution = chosen;
      this.el.dataset.resolution = String(chosen);
      this._load(chosen, null);
      setProps(this.el.id + "-view", {data: {resolution: chosen, zoom: Math.round(this.zoom * 10) / 10}});
    }
  };

  function setProps(id, props) {
    if (window.dash_clientside && window.dash_clientside.set_props) { window.dash_clientside.set_props(id, props); }
  }

  function mount(el) {
    var existing = maps[el.id];
    if (existing && existing.el === el) { return existing; }
    var m = new HexMap(el);
    maps[el.id] = m;
    return m;
  }

  function scan() {
    var els = document.querySelectorAll("div.hexmap[id]");
    for (var i = 0; i < els.length; i++) { mount(els[i]); }
  }

  // Mount as soon as Dash renders a map, so geometry loads while the values callback runs.
  new MutationObserver(scan).observe(document.documentElement, {childList: true, subtree: true});

  window.hexops = window.hexops || {};
  window.hexops.hexmap = {maps: maps, mount: mount};
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    hexmap: {
      setValues: function (doc, containerId) {
        var el = document.getElementById(containerId);
        if (el) { mount(el).setValues(doc); }
        return window.dash_clientside.no_update;
      },
      setDrawing: function (on, containerId) {
        var el = document.getElementById(containerId);
        if (el) { mount(el).setDrawing(!!on); }
        return window.dash_clientside.no_update;
      },
      focus: function (target, containerId) {
        var el = document.getElementById(containerId);
        if (el && target) { mount(el).focus(target); }
        return window.dash_clientside.no_update;
      },
      setZones: function (doc, containerId) {
        var el = document.getElementById(containerId);
        if (el) { layers.setZones(mount(el), doc); }
        return window.dash_clientside.no_update;
      }
    }
  });
})();
