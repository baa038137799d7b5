"""``make bench-map``: the naive Plotly choropleth versus hexops's map, in one run.

Both are measured in the same real headless Chromium (Debian chromium, the
flags of ``tests/fixtures/browser.py``) against the same PostGIS database
holding the demo city (all res-9 land hexes, its cameras, incidents and a
few hours of simulated detections):

- **naive**: a tiny Dash app whose layout holds a ``go.Choroplethmap`` of every
  res-9 hex (full GeoJSON polygons + values); an update sends new values
  through a ``Patch`` of ``z``, queried from the database per update like
  the hexops callback (the same ``geodata.heatmap`` query, dense).
- **hexops**: the real hexops app's city map (``/``): geometry fetched once
  per resolution from ``/api/v1/hexmap/cells/9``, values pushed as an
  aligned array through a Dash store and drawn by ``assets/hexmap.js``.

First render is navigation start to hexes drawn (Plotly's
``plotly_afterplot`` event; the hexops renderer's ``data-drawn-at``), with
the browser cache cleared before each run.  Update is a click that asks the
server for other values to the next completed draw.  Medians of a few
repeats.  Writes ``bench/out/map.json`` and prints it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import statistics
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from tqdm import tqdm

OUT = Path(__file__).resolve().parent / "out" / "map.json"
FIRST_RENDER_RUNS = 3
UPDATE_RUNS = 8
TIMEOUT_S = 120.0


def prepare_database(workdir: Path):
    """A throwaway PostGIS cluster holding the demo city and 3 h of detections."""
    from hexops.geodata import migrate
    from hexops.geodata.cluster import PrivateCluster
    from hexops.democity import build_city, scenarios
    from hexops.democity.load import load_city, load_detections
    from hexops.geodata.uow import UnitOfWork

    cluster = PrivateCluster(workdir / "pg", throwaway=True)
    cluster.start()
    url = cluster.create_database("bench_map")
    migrate.apply_all(url)
    steps = tqdm(total=3, desc="demo city", unit="step")
    city = build_city(seed=7, n_cameras=5200)
    steps.update()
    load_city(UnitOfWork.for_url(url), city, progress=lambda line: steps.set_postfix_str(line[:40]))
    steps.update()
    # The fireworks evening: enough detections for the map to show a real pattern.
    end = scenarios.DEMO_START + timedelta(hours=21)
    load_detections(UnitOfWork.for_url(url), city, end - timedelta(hours=3), end)
    steps.update()
    steps.close()
    return cluster, url


def _serve(flask_app) -> tuple[str, object]:
    from werkzeug.serving import make_server

    http = make_server("127.0.0.1", 0, flask_app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{http.server_port}", http


def naive_app(url: str):
    """The naive approach: every res-9 hex as GeoJSON in a Plotly choropleth map."""
    import dash
    import plotly.graph_objects as go
    from dash import Input, Output, Patch, dcc, html

    from bench.map_naive import naive_figure_data, naive_values
    from hexops.geodata.db import Database

    features, ids, people = naive_figure_data(url)
    # A pool like the hexops app's, so neither pays for connecting per update.
    pool = Database(url, min_size=1, max_size=4).open()
    figure = go.Figure(go.Choroplethmap(
        geojson={"type": "FeatureCollection", "features": features}, locations=ids, z=people,
        featureidkey="id", colorscale="Inferno", marker_line_width=0, zmin=0,
    ))
    figure.update_layout(map_style="white-bg", map_zoom=9.6, map_center={"lat": 22.36, "lon": 114.12},
                         margin=dict(l=0, r=0, t=0, b=0), height=760)
    app = dash.Dash("naive", serve_locally=True)
    app.index_string = app.index_string.replace("{%app_entry%}", "{%app_entry%}" + _NAIVE_PROBE)
    app.layout = html.Div([html.Button("update", id="naive-update"), dcc.Graph(id="naive-map", figure=figure)])

    @app.callback(Output("naive-map", "figure"), Input("naive-update", "n_clicks"), prevent_initial_call=True)
    def update(n_clicks):
        patch = Patch()
        with pool.connection() as conn:
            patch["data"][0]["z"] = naive_values(conn, "vehicles" if n_clicks % 2 else "people")
        return patch

    return app.server


# Records when Plotly has finished drawing the choropleth (first render and each update).
_NAIVE_PROBE = """<script>
window.__draws = [];
(function attach() {
  var gd = document.querySelector('#naive-map .js-plotly-plot');
  if (!gd || !gd.on) { return setTimeout(attach, 5); }
  // Like the hexops renderer: the time is taken once the frame has been painted.
  function painted() {
    requestAnimationFrame(function () { setTimeout(function () { window.__draws.push(performance.now()); }, 0); });
  }
  gd.on('plotly_afterplot', painted);
  if (gd._fullLayout && gd.querySelector('.maplibregl-canvas')) { painted(); }
})();
</script>"""


def _wait(driver, script: str, timeout: float = TIMEOUT_S):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.02).until(lambda d: d.execute_script(script))


def _json_bytes(driver) -> dict[str, int]:
    """Sizes of the JSON the page fetched (Resource Timing): decoded and on the wire."""
    entries = driver.execute_script(
        "return performance.getEntriesByType('resource').filter(function (e) {"
        " return e.initiatorType === 'fetch' || e.initiatorType === 'xmlhttprequest'; })"
        ".map(function (e) { return [e.name, e.decodedBodySize, e.encodedBodySize]; });"
    )
    return {"decoded": sum(e[1] for e in entries), "wire": sum(e[2] for e in entries)}


def _clear_cache(driver) -> None:
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})


def measure_naive(driver, base: str) -> dict:
    firsts, sizes, updates = [], {}, []
    for _ in tqdm(range(FIRST_RENDER_RUNS), desc="naive first render", unit="run"):
        _clear_cache(driver)
        driver.get("about:blank")
        driver.get(base + "/")
        firsts.append(_wait(driver, "return window.__draws && window.__draws.length ? window.__draws[0] : 0;"))
        sizes = _json_bytes(driver)
    time.sleep(1.0)
    for _ in tqdm(range(UPDATE_RUNS), desc="naive update", unit="run"):
        n = driver.execute_script("return window.__draws.length;")
        t0 = driver.execute_script(
            "var t = performance.now(); document.getElementById('naive-update').click(); return t;")
        t1 = _wait(driver, f"return window.__draws.length > {n} ? window.__draws[window.__draws.length - 1] : 0;")
        updates.append(t1 - t0)
        time.sleep(0.3)
    return {"first": firsts, "update": updates, "bytes": sizes}


_HEXOPS_DRAWN = ("var el = document.getElementById('map-hexmap');"
                 " return el && +el.dataset.drawSeq > %d ? [+el.dataset.drawSeq, +el.dataset.drawnAt,"
                 " +el.dataset.drawnCells] : null;")


def measure_hexops(driver, base: str) -> dict:
    firsts, warm, updates, sizes, cells = [], [], [], {}, 0
    for i in tqdm(range(FIRST_RENDER_RUNS * 2), desc="hexops first render", unit="run"):
        cold = i % 2 == 0
        if cold:
            _clear_cache(driver)
        driver.get("about:blank")
        driver.get(base + "/")
        _, drawn_at, cells = _wait(driver, _HEXOPS_DRAWN % 0)
        (firsts if cold else warm).append(drawn_at)
        if cold:
            sizes = _json_bytes(driver)
    time.sleep(1.0)
    metrics = ["vehicles", "people"]
    for i in tqdm(range(UPDATE_RUNS), desc="hexops update", unit="run"):
        seq = driver.execute_script("return +document.getElementById('map-hexmap').dataset.drawSeq;")
        t0 = driver.execute_script(
            "var want = arguments[0], label = Array.from(document.querySelectorAll('#map-metric label'))"
            ".find(function (l) { return l.textContent.trim().toLowerCase() === want; });"
            "var t = performance.now(); label.click(); return t;", metrics[i % 2])
        _, drawn_at, _ = _wait(driver, _HEXOPS_DRAWN % seq)
        updates.append(drawn_at - t0)
        time.sleep(0.3)
    return {"first": firsts, "warm": warm, "update": updates, "bytes": sizes, "cells": cells}


def run(database_url: str | None = None, screenshot: str | None = None) -> dict:
    """Measure both maps; ``database_url`` reuses a loaded demo database instead of building one."""
    from hexops.bootstrap import AppContext, create_server
    from hexops.dashboard import access
    from hexops.settings import Settings
    from tests.fixtures.browser import make_driver

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="hexops-bench-map-"))
    cluster, url = (None, database_url) if database_url else prepare_database(workdir)
    servers, driver, context = [], None, None
    try:
        driver = make_driver()
        # Dash apps share one global list of page callbacks, which the first app to
        # serve a request takes: the naive app serves (and is measured) before the
        # hexops app, with its pages, is built.
        naive_base, http = _serve(naive_app(url))
        servers.append(http)
        naive = measure_naive(driver, naive_base)
        context = AppContext(Settings(state_dir=workdir / "state", database_url=url))
        hexops_base, http = _serve(create_server(context))
        servers.append(http)
        # The benchmark measures drawing, not signing in: every request is a commander's.
        access.set_user_resolver(lambda: access.User("bench", "commander"))
        hexops = measure_hexops(driver, hexops_base)
        if screenshot:
            driver.get(hexops_base + "/")
            _wait(driver, _HEXOPS_DRAWN % 0)
            driver.save_screenshot(screenshot)
    finally:
        if driver is not None:
            driver.quit()
        for http in servers:
            http.shutdown()
        if context is not None:
            context.close()
        if cluster is not None:
            cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)
    median = statistics.median
    result = {
        "naive_first_render_ms": round(median(naive["first"]), 1),
        "naive_update_ms": round(median(naive["update"]), 1),
        "naive_bytes": naive["bytes"]["decoded"],
        "hexops_first_render_ms": round(median(hexops["first"]), 1),
        "hexops_update_ms": round(median(hexops["update"]), 1),
        "hexops_bytes": hexops["bytes"]["decoded"],
        "hexops_wire_bytes": hexops["bytes"]["wire"],
        "hexops_warm_first_render_ms": round(median(hexops["warm"]), 1),
        "hexops_cells_drawn": hexops["cells"],
        "runs": {"naive": {k: naive[k] for k in ("first", "update")},
                 "hexops": {k: hexops[k] for k in ("first", "warm", "update")}},
    }
    result["first_render_speedup"] = round(result["naive_first_render_ms"] / result["hexops_first_render_ms"], 2)
    result["update_speedup"] = round(result["naive_update_ms"] / result["hexops_update_ms"], 2)
    result["meets_targets"] = result["first_render_speedup"] >= 3 and result["update_speedup"] >= 4
    return result


def main() -> None:
    # HEXOPS_BENCH_DATABASE_URL: a database already holding the demo city (skips loading).
    # HEXOPS_BENCH_SCREENSHOT: also save a PNG of the hexops map (docs/img/city-map.png).
    result = run(os.environ.get("HEXOPS_BENCH_DATABASE_URL") or None,
                 os.environ.get("HEXOPS_BENCH_SCREENSHOT") or None)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
