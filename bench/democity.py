"""Benchmark: build the demo city at the 2028 scale (60,000 cameras) and simulate its detections.

``python -m bench.democity`` (``make bench-democity``) times, in one run:

- ``build_city`` at 5,200 and 60,000 cameras (the brief: "well under 30 s");
- the ground fields of view and the on-land test for 60,000 cameras, built
  vectorised (``hexops.analytics.fov.wedges``, ``shapely.contains_xy``) and,
  beside it, the naive way: one camera at a time (pyproj per point, a
  shapely Polygon per camera, ``Polygon.contains`` per point); the two are
  checked to agree;
- one hour of 5-minute detections for 60,000 cameras (``simulate_detections``).

Figures go to bench/out/democity.json and are printed.  The machine is shared,
so the figures are noisy; the ratio within one run is what counts.
"""

from __future__ import annotations

import json
import math
import time
from datetime import timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Point, Polygon
from tqdm import tqdm

from hexops.democity import build_city, scenarios
from hexops.analytics.fov import ARC_POINTS, wedges
from hexops.democity.simulator import simulate_detections

OUT = Path(__file__).parent / "out" / "democity.json"


def _naive_fovs(lon, lat, heading, angle, near, far, land_m) -> tuple[list[float], int]:
    to_m = Transformer.from_crs("EPSG:4326", "EPSG:2326", always_xy=True)
    to_deg = Transformer.from_crs("EPSG:2326", "EPSG:4326", always_xy=True)
    areas, on_land = [], 0
    for i in tqdm(range(len(lon)), desc="naive, camera by camera", unit="cam", mininterval=2):
        x0, y0 = to_m.transform(lon[i], lat[i])
        on_land += land_m.contains(Point(x0, y0))
        ring = []
        for k in range(ARC_POINTS):
            b = math.radians(heading[i]) + (2 * k / (ARC_POINTS - 1) - 1) * math.radians(angle[i]) / 2
            ring.append((x0 + far[i] * math.sin(b), y0 + far[i] * math.cos(b)))
        for k in reversed(range(ARC_POINTS)):
            b = math.radians(heading[i]) + (2 * k / (ARC_POINTS - 1) - 1) * math.radians(angle[i]) / 2
            ring.append((x0 + near[i] * math.sin(b), y0 + near[i] * math.cos(b)))
        metric = Polygon(ring)
        areas.append(metric.area)
        Polygon([to_deg.transform(x, y) for x, y in ring])
    return areas, on_land


def main() -> dict:
    figures: dict[str, float] = {}
    t = time.perf_counter()
    build_city(n_cameras=5200)
    figures["build_city_5200_s"] = time.perf_counter() - t
    t = time.perf_counter()
    city = build_city(n_cameras=60_000)
    figures["build_city_60000_s"] = time.perf_counter() - t

    cams = city.cameras
    args = (cams.geometry.x.to_numpy(), cams.geometry.y.to_numpy(), cams["heading_deg"].to_numpy(),
            cams["angle_deg"].to_numpy(), cams["near_m"].to_numpy(), cams["range_m"].to_numpy())
    land_m = gpd.GeoSeries([city.land], crs="EPSG:4326").to_crs("EPSG:2326").iloc[0]
    t = time.perf_counter()
    _, area = wedges(*args)
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:2326", always_xy=True).transform(args[0], args[1])
    on_land = int(shapely.contains_xy(land_m, x, y).sum())
    figures["fov_vectorised_60000_s"] = time.perf_counter() - t
    t = time.perf_counter()
    naive_area, naive_on_land = _naive_fovs(*args, land_m)
    figures["fov_naive_60000_s"] = time.perf_counter() - t
    assert np.allclose(area, naive_area) and on_land == naive_on_land
    figures["cameras_on_land"] = on_land
    figures["fov_speedup"] = figures["fov_naive_60000_s"] / figures["fov_vectorised_60000_s"]

    t = time.perf_counter()
    start = scenarios.FIREWORKS.show_start
    events = simulate_detections(city, start, start + timedelta(hours=1))
    figures["simulate_1h_60000_s"] = time.perf_counter() - t
    figures["simulate_1h_60000_events"] = len(events)
    out = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in figures.items()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
