/*
 * hexops hex map, data side: fetching, caching and decoding the map's payloads
 * (hexops.hexgeom/1, hexops.outlines/1, hexops.cameras/1; see services/heatmap.py) into
 * typed arrays in a local Web Mercator frame.  The renderer is hexmap.js (loaded after this
 * file: Dash loads assets in name order).
 */
(function () {
  "use strict";

  var TILE = 256;
  var LOCAL = 1024;           // local units per zoom-0 world pixel

  var geometryCache = {};     // resolution -> Promise of decoded geometry
  var layerCache = {};        // url -> Promise of decoded JSON

  function mercX(lon) { return (lon + 180) / 360 * TILE; }
  function mercY(lat) {
    var s = Math.sin(lat * Math.PI / 180);
    return (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * TILE;
  }
  // A fixed local origin near Hong Kong keeps every layer in one frame.
  var ORIGIN_X = mercX(114.15), ORIGIN_Y = mercY(22.35);
  function localX(lon) { return (mercX(lon) - ORIGIN_X) * LOCAL; }
  function localY(lat) { return (mercY(lat) - ORIGIN_Y) * LOCAL; }

  function fetchJson(url) {
    return fetch(url, {credentials: "same-origin", cache: "no-cache"}).then(function (r) {
      if (!r.ok) { throw new Error(url + ": HTTP " + r.status); }
      return r.json();
    });
  }

  function decodeGeometry(doc) {
    var n = doc.cells.length, scale = doc.scale;
    var cx = new Float64Array(n), cy = new Float64Array(n);
    var starts = new Uint32Array(n + 1);
    var total = 0, i;
    for (i = 0; i < n; i++) { starts[i] = total; total += doc.ring_sizes[i]; }
    starts[n] = total;
    var vx = new Float64Array(total), vy = new Float64Array(total);
    var qx = 0, qy = 0, k = 0;
    var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (i = 0; i < n; i++) {
      qx += doc.centres[2 * i]; qy += doc.centres[2 * i + 1];
      cx[i] = localX(qx / scale); cy[i] = localY(qy / scale);
      for (var j = starts[i]; j < starts[i + 1]; j++, k++) {
        vx[j] = localX((qx + doc.rings[2 * k]) / scale);
        vy[j] = localY((qy + doc.rings[2 * k + 1]) / scale);
      }
      if (cx[i] < minX) { minX = cx[i]; } if (cx[i] > maxX) { maxX = cx[i]; }
      if (cy[i] < minY) { minY = cy[i]; } if (cy[i] > maxY) { maxY = cy[i]; }
    }
    return {resolution: doc.resolution, version: doc.version, cells: doc.cells, n: n,
            cx: cx, cy: cy, starts: starts, vx: vx, vy: vy,
            bbox: [minX, minY, maxX, maxY]};
  }

  function geometry(resolution, version) {
    var key = resolution + "|" + (version || "");
    if (!geometryCache[key]) {
      var url = "/api/v1/hexmap/cells/" + resolution + (version ? "?v=" + encodeURIComponent(version) : "");
      geometryCache[key] = fetchJson(url).then(decodeGeometry);
      geometryCache[key].catch(function () { delete geometryCache[key]; });
    }
    return geometryCache[key];
  }

  function layer(url, decode) {
    if (!layerCache[url]) {
      layerCache[url] = fetchJson(url).then(decode);
      layerCache[url].catch(function () { delete layerCache[url]; });
    }
    return layerCache[url];
  }

  function decodeOutlines(doc) {
    return doc.districts.map(function (d) {
      var sx = 0, sy = 0, count = 0;
      var rings = d.rings.map(function (flat) {
        var pts = new Float64Array(flat.length), qx = 0, qy = 0;
        for (var i = 0; i < flat.length; i += 2) {
          qx += flat[i]; qy += flat[i + 1];
          pts[i] = localX(qx / doc.scale); pts[i + 1] = localY(qy / doc.scale);
          sx += pts[i]; sy += pts[i + 1]; count++;
        }
        return pts;
      });
      return {code: d.code, name: d.name, rings: rings, lx: sx / count, ly: sy / count};
    });
  }

  function decodeCameras(doc) {
    var n = doc.ids.length, x = new Float64Array(n), y = new Float64Array(n), qx = 0, qy = 0;
    for (var i = 0; i < n; i++) {
      qx += doc.points[2 * i]; qy += doc.points[2 * i + 1];
      x[i] = localX(qx / doc.scale); y[i] = localY(qy / doc.scale);
    }
    return {n: n, x: x, y: y, ids: doc.ids, owners: doc.owners};
  }

  window.hexops = window.hexops || {};
  window.hexops.hexmapData = {
    TILE: TILE, LOCAL: LOCAL, ORIGIN_X: ORIGIN_X, ORIGIN_Y: ORIGIN_Y, localX: localX, localY: localY,
    geometry: geometry, layer: layer, decodeOutlines: decodeOutlines, decodeCameras: decodeCameras,
    geometryCache: geometryCache
  };
})();
