"""Server time of the live pages, as a browser asks for it: the real app, signed in, over loopback.

The app (Dash pages and API on Flask) is served in-process by werkzeug's
threaded server; a ``requests`` session signs in through ``/auth/login`` and
then asks for exactly what a browser asks for on a refresh:

- a page's refresh callback, posted to ``/_dash-update-component`` with the
  inputs of a timer tick (found in ``/_dash-dependencies``);
- the city map's values (its default: people, 3 h, H3 res 9) through the
  same callback endpoint;
- the cameras layer, ``/api/v1/hexmap/cameras``.

Each is asked ``repeats`` times after one warm-up call; the median is the
figure, the warm-up (cold caches) is reported beside it.  The figure is the
server's time: from sending the request to the response's headers
(``requests``' ``elapsed``; werkzeug sends them once the body is built), so
the transfer of a larger body over loopback and the client's decompression
are not counted.  The body's size is reported beside it.
"""

from __future__ import annotations

import json
import statistics
import threading
from pathlib import Path

import requests
from werkzeug.serving import make_server

PASSWORD = "bench-scale-password-1"


class ServedApp:
    """The hexops app on a free loopback port for ``database_url`` (``settings`` as keyword arguments)."""

    def __init__(self, database_url: str, state_dir: Path, **settings):
        from hexops.bootstrap import AppContext, create_server
        from hexops.settings import Settings

        self.context = AppContext(Settings(state_dir=state_dir, database_url=database_url, **settings))
        self._http = make_server("127.0.0.1", 0, create_server(self.context), threaded=True)
        self.base_url = f"http://127.0.0.1:{self._http.server_port}"
        threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._http.shutdown()
        self.context.close()


def create_admin(app: ServedApp, username: str) -> None:
    """A signed-in-able admin (every page) in the served database (audited with the app's key)."""
    from hexops.services import accounts

    accounts.create_user(app.context.uow(), username, "admin", PASSWORD, None, actor="bench")


def sign_in(base_url: str, username: str) -> requests.Session:
    http = requests.Session()
    response = http.post(base_url + "/auth/login", data={"username": username, "password": PASSWORD},
                         allow_redirects=False, timeout=60)
    if response.status_code != 303 or "error" in response.headers.get("Location", ""):
        raise RuntimeError(f"bench sign-in refused: {response.status_code} {response.headers.get('Location')}")
    return http


def _outputs(spec: str) -> list[dict]:
    """Dash's output string (``..a.b...c.d..`` or ``a.b``) as ``[{"id", "property"}]``."""
    parts = spec.strip(".").split("...") if spec.startswith("..") else [spec]
    out = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        out.append({"id": ident, "property": prop})
    return out


class Callbacks:
    """The app's callbacks (``/_dash-dependencies``), callable the way the browser calls them."""

    def __init__(self, base_url: str, http: requests.Session):
        self.base_url = base_url
        self.http = http
        response = http.get(base_url + "/_dash-dependencies", timeout=60)
        response.raise_for_status()
        self.specs = response.json()

    def find(self, output: str) -> dict:
        """The callback one of whose outputs is ``output`` (``id.property``)."""
        for spec in self.specs:
            if output in spec["output"].strip(".").split("..."):
                return spec
        raise KeyError(f"no callback has the output {output!r}")

    def call(self, output: str, values: dict[str, object], changed: str) -> requests.Response:
        """Post the callback of ``output`` with input/state ``values`` (``id.property`` -> value).

        A wildcard (``ALL``) dependency, such as the alert lists' tick boxes, is
        sent as the browser sends it when nothing matches: an empty list.
        """
        spec = self.find(output)

        def entry(dep: dict):
            if dep["id"].startswith("{"):
                return []
            return dict(dep, value=values.get(f"{dep['id']}.{dep['property']}"))

        body = {
            "output": spec["output"],
            "outputs": _outputs(spec["output"]) if spec["output"].startswith("..") else _outputs(spec["output"])[0],
            "inputs": [entry(i) for i in spec["inputs"]],
            "state": [entry(s) for s in spec["state"]],
            "changedPropIds": [changed],
        }
        response = self.http.post(self.base_url + "/_dash-update-component", data=json.dumps(body),
                                  headers={"Content-Type": "application/json"}, timeout=300)
        if response.status_code != 200:
            raise RuntimeError(f"callback {output}: {response.status_code} {response.text[:300]}")
        return response


def timed(call, repeats: int = 5) -> dict:
    """Server time of ``call()`` (a ``requests.Response``): one warm-up, then ``repeats``.

    Returns ``{"median_ms", "cold_ms", "runs_ms", "bytes"}``.
    """
    first = call()
    runs, size = [], len(first.content)
    for _ in range(repeats):
        response = call()
        runs.append(response.elapsed.total_seconds() * 1000)
    return {"median_ms": round(statistics.median(runs), 1),
            "cold_ms": round(first.elapsed.total_seconds() * 1000, 1),
            "runs_ms": [round(r, 1) for r in runs], "bytes": size}


def measure_pages(app: ServedApp, username: str, repeats: int = 5) -> dict:
    """The refresh figures of the Events and Drainage pages, the map's values and the cameras layer."""
    from hexops.dashboard.components.hexmap import hexmap_ids

    http = sign_in(app.base_url, username)
    callbacks = Callbacks(app.base_url, http)
    # The pages as a browser ticks them at the product clock (no time pinned: ``*-at.data`` None).
    events = timed(lambda: callbacks.call(
        "crowd-zones.children", {"crowd-tick.n_intervals": 1, "crowd-at.data": None}, "crowd-tick.n_intervals"),
        repeats)
    drainage = timed(lambda: callbacks.call(
        "drainage-alerts.children", {"drainage-tick.n_intervals": 1, "drainage-at.data": None},
        "drainage-tick.n_intervals"), repeats)
    map_spec = next(s for s in callbacks.specs if any(i["id"] == "map-window-length" for i in s["inputs"]))
    map_output = map_spec["output"].strip(".").split("...")[0]
    view = hexmap_ids("map").view
    values = timed(lambda: callbacks.call(map_output, {
        "map-metric.value": "people", "map-window-length.value": "3h", "map-end-date.date": None,
        "map-end-hour.value": None, f"{view}.data": {"resolution": 9}}, "map-metric.value"), repeats)

    def cameras():
        response = http.get(app.base_url + "/api/v1/hexmap/cameras", timeout=120)
        response.raise_for_status()
        return response

    layer = timed(cameras, repeats)
    return {
        "events_refresh_ms": events["median_ms"], "events_refresh_cold_ms": events["cold_ms"],
        "drainage_refresh_ms": drainage["median_ms"], "drainage_refresh_cold_ms": drainage["cold_ms"],
        "values_res9_ms": values["median_ms"], "values_res9_cold_ms": values["cold_ms"],
        "cameras_layer_ms": layer["median_ms"], "cameras_layer_build_ms": layer["cold_ms"],
        "bytes": {"events": events["bytes"], "drainage": drainage["bytes"], "values_res9": values["bytes"],
                  "cameras_layer": layer["bytes"]},
        "runs_ms": {"events": events["runs_ms"], "drainage": drainage["runs_ms"], "values_res9": values["runs_ms"],
                    "cameras_layer": layer["runs_ms"]},
    }
