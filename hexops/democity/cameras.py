"""The demo camera network: scenario cameras first, then cameras by footfall.

Scenario cameras (fireworks zones, low-lying places, the lone wet camera)
have fixed ids that do not depend on ``n_cameras``, so other areas' tests can
name them.  The rest are drawn around :mod:`geodata.democity.places`
anchors in proportion to their footfall, in the HK1980 Grid (EPSG:2326,
metres), and kept on land.  Output is WGS84 (EPSG:4326).
"""

from __future__ import annotations

from collections import Counter

import geopandas as gpd
import h3.api.basic_int as h3i
import numpy as np
import shapely
from shapely.ops import nearest_points

from hexops.democity import scenarios
from hexops.democity.districts import METRIC_CRS
from hexops.analytics.fov import to_metric, to_wgs84, wedges
from hexops.democity.outline import land
from hexops.democity.places import ANCHORS, OWNER_SHARES

#: Field-of-view geometry per kind: (near m, far m low, far m high, angle deg
#: low, angle deg high).  Tunnel cameras look far down a carriageway with a
#: narrow lens; estate and control-point cameras see a lobby or a concourse.
FOV_BY_KIND: dict[str, tuple[float, float, float, float, float]] = {
    "street": (4.0, 25.0, 45.0, 55.0, 90.0),
    "promenade": (4.0, 14.0, 24.0, 60.0, 90.0),
    "estate": (3.0, 15.0, 30.0, 60.0, 100.0),
    "tunnel_portal": (10.0, 80.0, 140.0, 25.0, 45.0),
    "venue": (5.0, 30.0, 55.0, 60.0, 95.0),
    "boundary_control": (3.0, 15.0, 30.0, 70.0, 110.0),
}

#: Share of the police's cameras spread over the whole territory (rural
#: roads, country-park car parks) rather than around an anchor.
HKPF_BACKGROUND_SHARE = 0.08

#: A box detector stops separating people somewhere between these densities
#: (people/m2), depending on the camera's height and angle; it never returns
#: more than MAX_BOXES boxes.
COUNTABLE_DENSITY_RANGE = (3.5, 7.0)
MAX_BOXES = 2000


def _scenario_cameras(rng: np.random.Generator, zones: gpd.GeoDataFrame) -> list[dict]:
    rows: list[dict] = []
    zones_m = zones.to_crs(METRIC_CRS)
    for spec, zone in zip(scenarios.FIREWORKS.zones, zones_m.geometry):
        xs, ys = _uniform_in(rng, zone, spec.n_cameras)
        for i, (x, y) in enumerate(zip(xs, ys), start=1):
            rows.append(dict(camera_id=f"LCSD-{spec.zone_id}-{i:02d}", owner_code="LCSD", kind="promenade",
                             x=x, y=y, anchor=spec.name, footfall=3.0))
    for place in scenarios.LOW_LYING:
        cx, cy = to_metric(*place.centre())
        angles = rng.uniform(0, 2 * np.pi, place.n_cameras)
        radii = rng.uniform(12.0, 40.0, place.n_cameras)
        kind = "estate" if place.owner_code == "HD" else "street"
        for i in range(place.n_cameras):
            rows.append(dict(camera_id=f"{place.owner_code}-{place.place_id}-{i + 1}", owner_code=place.owner_code,
                             kind=kind, x=float(cx + radii[i] * np.cos(angles[i])),
                             y=float(cy + radii[i] * np.sin(angles[i])), anchor=place.name, footfall=1.0))
    lx, ly = to_metric(*scenarios.RAINSTORM.lone_wet_camera_at)
    rows.append(dict(camera_id=scenarios.RAINSTORM.lone_wet_camera, owner_code="HKPF", kind="street",
                     x=float(lx), y=float(ly), anchor="Tuen Mun", footfall=1.0))
    return rows


def _uniform_in(rng: np.random.Generator, shape, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniformly inside a metric shape (rejection sampling)."""
    minx, miny, maxx, maxy = shape.bounds
    xs: list[float] = []
    ys: list[float] = []
    while len(xs) < n:
        x = rng.uniform(minx, maxx, 4 * n)
        y = rng.uniform(miny, maxy, 4 * n)
        keep = shapely.contains_xy(shape, x, y)
        xs.extend(x[keep].tolist())
        ys.extend(y[keep].tolist())
    return np.array(xs[:n]), np.array(ys[:n])


def _footfall_cameras(rng: np.random.Generator, n: int, land_m) -> list[dict]:
    owners = list(OWNER_SHARES)
    per_owner = rng.multinomial(n, [OWNER_SHARES[o] for o in owners])
    rows: list[dict] = []
    for owner, count in zip(owners, per_owner):
        if owner == "HKPF":
            n_background = int(round(count * HKPF_BACKGROUND_SHARE))
            xs, ys = _uniform_in(rng, land_m, n_background)
            rows.extend(dict(owner_code=owner, kind="street", x=x, y=y, anchor="rural", footfall=0.3)
                        for x, y in zip(xs, ys))
            count -= n_background
        anchors = [a for a in ANCHORS if a.owner_code == owner]
        weights = np.array([a.weight for a in anchors])
        per_anchor = rng.multinomial(count, weights / weights.sum())
        for anchor, k in zip(anchors, per_anchor):
            if k == 0:
                continue
            ax, ay = to_metric(np.array([anchor.lon]), np.array([anchor.lat]))
            xs, ys = _scatter_on_land(rng, float(ax[0]), float(ay[0]), anchor.spread_m, int(k), land_m)
            rows.extend(dict(owner_code=owner, kind=anchor.kind, x=x, y=y, anchor=anchor.name,
                             footfall=anchor.weight) for x, y in zip(xs, ys))
    return rows


def _scatter_on_land(rng, cx: float, cy: float, spread: float, n: int, land_m) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian scatter around a centre, redrawing points that fall in the sea."""
    xs = cx + rng.normal(0, spread, n)
    ys = cy + rng.normal(0, spread, n)
    for _ in range(30):
        off = ~shapely.contains_xy(land_m, xs, ys)
        if not off.any():
            return xs, ys
        xs[off] = cx + rng.normal(0, spread, off.sum())
        ys[off] = cy + rng.normal(0, spread, off.sum())
    # A coastal anchor whose spread keeps reaching the sea: pull the rest ashore.
    off = ~shapely.contains_xy(land_m, xs, ys)
    # Five metres inland, not on the coastline itself (which is not "on land").
    ashore = land_m.buffer(-5.0) if off.any() else land_m
    for i in np.flatnonzero(off):
        nearest = nearest_points(ashore, shapely.Point(xs[i], ys[i]))[0]
        xs[i], ys[i] = nearest.x, nearest.y
    return xs, ys


def build_cameras(rng: np.random.Generator, n_cameras: int, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The camera registry of the demo city.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_cameras : int
        Total cameras, scenario cameras included (must exceed their number).
    zones : geopandas.GeoDataFrame
        Fireworks zones from :func:`geodata.democity.zones.build_event_zones`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``camera_id``, ``owner_code``, ``kind``, ``status``, ``geometry``
        (Point, EPSG:4326), ``fov`` (Polygon, EPSG:4326), ``fov_area_m2``,
        the wedge's ``heading_deg``, ``angle_deg``, ``near_m`` and
        ``range_m``, ``h3_r8``/``h3_r9``/``h3_r10`` (BIGINT cells),
        ``anchor``, ``footfall`` (relative) and ``max_countable`` (boxes the
        detector can separate before it saturates).
    """
    land_m = gpd.GeoSeries([land()], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0]
    shapely.prepare(land_m)
    scenario = _scenario_cameras(rng, zones)
    if n_cameras <= len(scenario):
        raise ValueError(f"n_cameras must exceed the {len(scenario)} scenario cameras, got {n_cameras}")
    generated = _footfall_cameras(rng, n_cameras - len(scenario), land_m)
    seq: Counter[str] = Counter()
    for row in generated:
        seq[row["owner_code"]] += 1
        row["camera_id"] = f"{row['owner_code']}-{seq[row['owner_code']]:05d}"
    rows = scenario + generated
    n = len(rows)
    x = np.array([r["x"] for r in rows])
    y = np.array([r["y"] for r in rows])
    lon, lat = to_wgs84(x, y)
    kinds = np.array([r["kind"] for r in rows])
    params = np.array([FOV_BY_KIND[k] for k in kinds])
    heading = rng.uniform(0.0, 360.0, n)
    far = rng.uniform(params[:, 1], params[:, 2])
    angle = rng.uniform(params[:, 3], params[:, 4])
    fov, area = wedges(lon, lat, heading, angle, params[:, 0], far)
    countable = np.minimum(area * rng.uniform(*COUNTABLE_DENSITY_RANGE, n), MAX_BOXES)
    status = rng.choice(["active", "maintenance", "retired"], size=n, p=[0.96, 0.03, 0.01])
    # Scenario cameras must be running on the scenario days.
    status[: len(scenario)] = "active"
    frame = gpd.GeoDataFrame(
        {
            "camera_id": [r["camera_id"] for r in rows],
            "owner_code": [r["owner_code"] for r in rows],
            "kind": kinds,
            "status": status,
            "fov": gpd.GeoSeries(fov, crs="EPSG:4326"),
            "fov_area_m2": area,
            "heading_deg": heading,
            "angle_deg": angle,
            "near_m": params[:, 0],
            "range_m": far,
            "anchor": [r["anchor"] for r in rows],
            "footfall": np.array([r["footfall"] for r in rows], dtype=float),
            "max_countable": np.floor(countable).astype(int),
        },
        geometry=shapely.points(lon, lat),
        crs="EPSG:4326",
    )
    for res in (8, 9, 10):
        frame[f"h3_r{res}"] = np.fromiter((h3i.latlng_to_cell(la, lo, res) for la, lo in zip(lat, lon)),
                                          dtype=np.int64, count=n)
    return frame
