"""Crowd use cases: calibrate, estimate now or at a replay time, advance and acknowledge alerts.

Crowd hexes are H3 resolution 10 (a street block, ~15,000 m2); zones are
the uploaded event zones.  Densities are people per m2 of visible ground
(EPSG:2326 areas).  The alert machine advances through the detections in
5-minute steps, in time order, from where it last stopped (``alert_cursors``),
so the demo's historical scenario and a live feed are handled alike.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
import shapely

from hexops.errors import InputError
from hexops.analytics.crowd import (
    DEFAULT_THRESHOLDS,
    AlertConfig,
    CrowdLayout,
    GroundShares,
    crowd_snapshot,
    ground_shares,
    minutes_to_thresholds,
    step_alerts,
    to_hk1980,
    trend_slopes,
)
from hexops.geodata import audit
from hexops.geodata import crowd as q
from hexops.geodata.h3cells import cell_polygon
from hexops.city import HONG_KONG

CROWD_RESOLUTION = 10
STEP = timedelta(minutes=5)
KINDS = ("zone", "hex")


def calibrate(conn) -> dict[str, int]:
    """Recompute every camera's share of each crowd hex and zone (run when visible areas or zones change)."""
    cams = q.cameras_with_fov(conn)
    fovs_m = to_hk1980(cams["fov"].to_numpy()) if len(cams) else np.zeros(0, object)
    own = np.unique(cams["h3_r10"].to_numpy(np.int64)) if len(cams) else np.zeros(0, np.int64)
    # A field of view reaches into neighbouring cells, never further than one ring at resolution 10.
    cells = sorted({int(n) for c in own for n in h3i.grid_disk(int(c), 1)})
    hex_shares = ground_shares(cams["camera_id"], fovs_m, [str(c) for c in cells],
                               to_hk1980([cell_polygon(c) for c in cells]) if cells else [])
    seen = hex_shares.regions[hex_shares.regions["covered_m2"] > 0]
    q.replace_ground_shares(conn, "hex", hex_shares.pairs, seen)
    zones = _calibrate_zones(conn, cams, fovs_m)
    return {"cameras": len(cams), "hexes": len(seen), "zones": zones, "pairs": len(hex_shares.pairs)}


def _calibrate_zones(conn, cams: pd.DataFrame | None = None, fovs_m=None) -> int:
    """Recompute the zones' ground shares only (a zone change leaves the hexes' shares as they are)."""
    if cams is None:
        cams = q.cameras_with_fov(conn)
        fovs_m = to_hk1980(cams["fov"].to_numpy()) if len(cams) else np.zeros(0, object)
    zones = q.list_zones(conn)
    zone_shares = ground_shares(cams["camera_id"], fovs_m, list(zones["zone_id"]),
                                to_hk1980(zones["geometry"].to_numpy()) if len(zones) else [])
    q.replace_ground_shares(conn, "zone", zone_shares.pairs, zone_shares.regions)
    return len(zones)


def load_layouts(conn) -> dict[str, CrowdLayout]:
    """The stored calibration as positional layouts, per region kind."""
    cams = q.cameras_with_fov(conn)
    out = {}
    for kind in KINDS:
        pairs, regions = q.load_ground_shares(conn, kind)
        out[kind] = CrowdLayout.from_shares(cams["camera_id"], cams["fov_area_m2"], GroundShares(pairs, regions))
    return out


def latest_data_time(conn) -> datetime | None:
    """The end of the latest minute with detections (UTC): the pages' "now" for historical or delayed data."""
    return q.detection_time_range(conn)[1]


def _history(conn, layouts, at: datetime, n: int) -> dict[str, list[np.ndarray]]:
    """Region densities in the ``n`` 5-minute windows ending at ``at``, oldest first (one query)."""
    windows = q.camera_people_windows(conn, at, STEP, n)
    out: dict[str, list[np.ndarray]] = {kind: [] for kind in KINDS}
    for k in range(n - 1, -1, -1):
        frame = windows[windows["k"] == k].set_index("camera_id")
        for kind in KINDS:
            out[kind].append(crowd_snapshot(layouts[kind], frame)[0]["density"].to_numpy())
    return out


@dataclass
class Snapshot:
    """Crowd figures of every zone and hex at one time.

    ``estimates[kind]`` is indexed by region id with the columns of
    :func:`analytics.crowd.region_estimates` plus ``slope_per_min`` and
    ``eta_<threshold>`` (minutes to each threshold).
    """

    at: datetime
    estimates: dict[str, pd.DataFrame]


@dataclass(frozen=True)
class AlertSettings:
    """Crowd alert thresholds (people/m2 of visible ground) and timing, as configured.

    Built by :func:`alert_settings` from the settings ``crowd_thresholds``
    (default ``2,4,5.5``), ``crowd_clear_after_min`` (minutes below before an
    alert clears, default 10) and ``crowd_horizon_min`` (how far ahead a
    projection may raise, default 10).
    """

    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    config: AlertConfig = AlertConfig()


def alert_settings(settings) -> AlertSettings:
    """The crowd alert configuration of a :class:`hexops.settings.Settings` (see :class:`AlertSettings`)."""
    defaults = AlertConfig()
    config = AlertConfig(
        horizon_min=settings.crowd_horizon_min or defaults.horizon_min,
        hysteresis=defaults.hysteresis,
        clear_after_min=settings.crowd_clear_after_min or defaults.clear_after_min,
    )
    thresholds = settings.crowd_thresholds or DEFAULT_THRESHOLDS
    return AlertSettings(thresholds, config)


def snapshot(conn, at: datetime, layouts: dict[str, CrowdLayout] | None = None,
             thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS) -> Snapshot:
    """Crowd estimates at ``at`` with the trend over the previous 10 minutes."""
    layouts = layouts or load_layouts(conn)
    history = _history(conn, layouts, at - STEP, 2)
    latest = q.latest_camera_counts(conn, at, STEP)
    hist_min = np.array([-2 * STEP.total_seconds() / 60, -STEP.total_seconds() / 60])
    out = {}
    for kind in KINDS:
        est, eta = crowd_snapshot(layouts[kind], latest, hist_min, np.column_stack(history[kind]), thresholds)
        for j, thr in enumerate(thresholds):
            est[f"eta_{thr:g}"] = eta[:, j]
        out[kind] = est
    return Snapshot(at=at, estimates=out)


def zone_panel(conn, snap: Snapshot) -> pd.DataFrame:
    """Zone rows for the event manager: name, capacity, occupancy band, share of capacity, density, LOS, ETAs."""
    zones = q.list_zones(conn).set_index("zone_id")
    est = snap.estimates["zone"].reindex(zones.index)
    panel = zones[["name", "capacity"]].join(est)
    panel["occupancy_pct"] = 100.0 * panel["people"] / panel["capacity"]
    return panel


def open_alert_state(open_alerts: pd.DataFrame, layouts: dict[str, CrowdLayout],
                     thresholds: tuple[float, ...]) -> dict[str, dict[str, np.ndarray]]:
    """The machines' state (regions x thresholds arrays per kind) from the stored open alerts.

    Missing ``below_since`` or ``peak_density`` may arrive as None or NaT/NaN
    (pandas turns None into NaT in a column that also holds times).
    """
    k = len(thresholds)
    state = {}
    for kind in KINDS:
        n = len(layouts[kind].regions)
        state[kind] = {"open": np.zeros((n, k), bool), "below": np.full((n, k), np.nan),
                       "alert_id": np.zeros((n, k), np.int64), "peak": np.zeros((n, k))}
    thr_pos = {float(t): j for j, t in enumerate(thresholds)}
    for row in open_alerts.itertuples():
        i = layouts[row.region_kind].regions.get_indexer([row.region_id])[0] if row.region_kind in layouts else -1
        j = thr_pos.get(float(row.threshold), -1)
        if i < 0 or j < 0:
            continue
        s = state[row.region_kind]
        s["open"][i, j] = True
        s["below"][i, j] = pd.Timestamp(row.below_since).timestamp() if pd.notna(row.below_since) else np.nan
        s["alert_id"][i, j] = row.alert_id
        s["peak"][i, j] = float(row.peak_density) if pd.notna(row.peak_density) else 0.0
    return state


def advance_alerts(conn, until: datetime, start: datetime | None = None,
                   thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS, config: AlertConfig = AlertConfig(),
                   progress: Callable[[datetime], None] | None = None) -> dict[str, int]:
    """Run the alert machine in 5-minute steps from the stored cursor (or ``start``) to ``until``.

    Raised and cleared alerts are written as they happen; open alerts keep
    their ``below_since`` so that a later call carries on where this one
    stopped.  Returns counts of steps, raised and cleared alerts.
    """
    if not q.try_job_lock(conn, "crowd"):
        # Another refresh is advancing the same machine; it will write the same result.
        return {"steps": 0, "raised": 0, "cleared": 0}
    cursor = q.get_cursor(conn, "crowd") or start
    if cursor is None:
        cursor = q.detection_time_range(conn)[0]
        if cursor is None:
            return {"steps": 0, "raised": 0, "cleared": 0}
    if cursor + STEP > until:
        return {"steps": 0, "raised": 0, "cleared": 0}
    layouts = load_layouts(conn)
    state = open_alert_state(q.open_crowd_alerts(conn), layouts, thresholds)
    history = _history(conn, layouts, cursor, 3)
    hist_min = np.array([-2 * STEP.total_seconds() / 60, -STEP.total_seconds() / 60])
    # Whether each projection already reached its threshold at the cursor (for persistence).
    for kind in KINDS:
        slope = trend_slopes(np.append(hist_min, 0.0), np.column_stack(history[kind]))
        eta = minutes_to_thresholds(history[kind][-1], slope, thresholds)
        state[kind]["projected"] = eta <= config.horizon_min
        history[kind] = history[kind][-2:]
    raised = cleared = steps = 0
    t = cursor + STEP
    while t <= until:
        latest = q.latest_camera_counts(conn, t, STEP)
        for kind in KINDS:
            est, eta = crowd_snapshot(layouts[kind], latest, hist_min, np.column_stack(history[kind][-2:]),
                                      thresholds)
            dens = est["density"].to_numpy()
            history[kind] = history[kind][-1:] + [dens]
            s = state[kind]
            step = step_alerts(s["open"], s["below"], dens, eta, thresholds, t.timestamp(), config,
                               projected_before=s["projected"])
            raised += _write_step(conn, kind, layouts[kind].regions, thresholds, s, step, dens, t)
            cleared += int(step.cleared.sum())
            s["open"], s["below"], s["projected"] = step.open, step.below_since, step.projected
        steps += 1
        if progress is not None:
            progress(t)
        t += STEP
    q.set_cursor(conn, "crowd", t - STEP)
    return {"steps": steps, "raised": raised, "cleared": cleared}


def _write_step(conn, kind, regions, thresholds, s, step, dens, t) -> int:
    """Persist one step's raises, clears and the open alerts' hold and peak."""
    dens2 = np.repeat(np.nan_to_num(dens)[:, None], len(thresholds), axis=1)
    for i, j in zip(*np.nonzero(step.raised)):
        s["alert_id"][i, j] = q.insert_crowd_alert(conn, kind, str(regions[i]), float(thresholds[j]),
                                                   str(step.cause[i, j]), t, float(dens2[i, j]))
        s["peak"][i, j] = dens2[i, j]
    carried = s["open"] & ~step.raised
    changed = carried & ((dens2 > s["peak"]) | step.cleared
                         | ~((np.isnan(step.below_since) & np.isnan(s["below"])) | (step.below_since == s["below"])))
    rows = []
    for i, j in zip(*np.nonzero(changed)):
        below = step.below_since[i, j]
        s["peak"][i, j] = max(s["peak"][i, j], dens2[i, j])
        rows.append((int(s["alert_id"][i, j]),
                     None if np.isnan(below) else datetime.fromtimestamp(below, t.tzinfo),
                     float(s["peak"][i, j]), t if step.cleared[i, j] else None))
    q.update_crowd_alerts(conn, rows)
    return int(step.raised.sum())


def acknowledge(conn, alert_id: int, username: str, at: datetime) -> bool:
    """A user acknowledges an alert (audited); False if unknown or already acknowledged."""
    done = q.acknowledge_crowd_alert(conn, alert_id, username, at)
    if done:
        audit.record(conn, actor=username, action="crowd_alert.acknowledge", target=str(alert_id))
    return done


def alerts(conn, at: datetime, hours: float = 6.0) -> pd.DataFrame:
    """Alerts open at any time in the ``hours`` before ``at`` (newest first), with region names."""
    frame = q.list_crowd_alerts(conn, at - timedelta(hours=hours), at)
    names = q.list_zones(conn).set_index("zone_id")["name"].to_dict()
    frame["region_name"] = [names.get(r, r) if k == "zone" else f"hex {h3i.int_to_str(int(r))}"
                            for k, r in zip(frame["region_kind"], frame["region_id"])]
    frame["state"] = np.where(frame["cleared_at"].notna() & (frame["cleared_at"] <= at), "cleared",
                              np.where(frame["acknowledged_at"].notna(), "acknowledged", "open"))
    return frame


def hex_geometry(layouts: dict[str, CrowdLayout]) -> dict[int, list[tuple[float, float]]]:
    """Outline (lon, lat, EPSG:4326) of every calibrated crowd hex, sent to the map once."""
    return {int(r): list(shapely.get_coordinates(cell_polygon(int(r))).tolist()) for r in layouts["hex"].regions}


def load_zones_file(conn, path) -> dict[str, int]:
    """Load event zones from a polygon layer and recalibrate (one transaction; LoadError on bad rows)."""
    from hexops.services.crowd_files import read_zones

    zones = read_zones(path)
    q.upsert_zones(conn, zones)
    return {"zones": len(zones)} | {f"calibrated_{k}": v for k, v in calibrate(conn).items()}


def load_calibration_file(conn, path) -> dict[str, int]:
    """Set cameras' visible ground from a polygon layer and recalibrate (LoadError names unknown cameras)."""
    from hexops.geodata.errors import LoadError
    from hexops.services.crowd_files import read_calibration

    frame = read_calibration(path)
    unknown = q.unknown_cameras(conn, frame["camera_id"])
    if unknown:
        raise LoadError(str(path), [f"row {i}, field camera_id: unknown camera {c!r}"
                                    for i, c in enumerate(frame["camera_id"], start=1) if c in unknown])
    q.set_camera_fovs(conn, frame)
    return {"cameras": len(frame)} | {f"calibrated_{k}": v for k, v in calibrate(conn).items()}


#: Where a drawn zone may lie (lon_min, lat_min, lon_max, lat_max; EPSG:4326): Hong Kong with a margin.
HK_BOUNDS: tuple[float, float, float, float] = HONG_KONG.bounds


class ZoneInputError(InputError):
    """A drawn zone was refused; ``field`` names the input at fault (``name``, ``capacity``, ``polygon``)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}", field=field)


def _drawn_polygon(ring_lonlat) -> shapely.Polygon:
    """The drawn ring as a valid polygon inside :data:`HK_BOUNDS`, or ZoneInputError naming ``polygon``."""
    try:
        pts = [(float(p[0]), float(p[1])) for p in (ring_lonlat or [])]
    except (TypeError, ValueError, IndexError):
        raise ZoneInputError("polygon", "vertices must be [lon, lat] pairs of numbers") from None
    if pts and pts[0] == pts[-1]:
        pts = pts[:-1]  # a closed ring repeats its first vertex; count it once
    distinct = list(dict.fromkeys(pts))
    if len(distinct) < 3:
        raise ZoneInputError("polygon", f"needs at least 3 distinct vertices, got {len(distinct)}")
    lon0, lat0, lon1, lat1 = HK_BOUNDS
    if not all(np.isfinite(x) and np.isfinite(y) and lon0 <= x <= lon1 and lat0 <= y <= lat1 for x, y in pts):
        raise ZoneInputError("polygon", "every vertex must lie within Hong Kong "
                                        f"(lon {lon0}..{lon1}, lat {lat0}..{lat1}, EPSG:4326)")
    poly = shapely.Polygon(pts)
    if not poly.is_valid:
        raise ZoneInputError("polygon", f"not a valid polygon ({shapely.is_valid_reason(poly)}); "
                                        "edges must not cross")
    if poly.area <= 0:
        raise ZoneInputError("polygon", "has no area")
    return poly


def save_drawn_zone(conn, name: str, capacity, ring_lonlat, actor: str) -> str:
    """Validate and store a zone drawn on the Events page; returns its ``zone_id``.

    Parameters
    ----------
    conn : psycopg.Connection
        Open connection; everything happens in the caller's transaction.
    name : str
        The zone's name as shown in the zone panel (1-200 characters).
    capacity : int or str
        How many people the zone holds safely (a whole number above 0).
    ring_lonlat : sequence of (float, float)
        The drawn ring's vertices as (lon, lat), WGS84 (EPSG:4326), open or
        closed; at least 3 distinct vertices, edges not crossing, inside
        :data:`HK_BOUNDS`.
    actor : str
        The user saving it (audited as ``zone.create``).

    Raises
    ------
    ZoneInputError
        Before anything is written, naming the field at fault.

    Notes
    -----
    The zone is stored with :func:`geodata.crowd.upsert_zones` (area in m2
    from HK1980 Grid, EPSG:2326), then the zones' ground shares are
    recomputed (hex shares do not depend on zones, so they are left alone).
    """
    from hexops.services.crowd_files import _areas_m2

    name = str(name or "").strip()
    if not name:
        raise ZoneInputError("name", "required")
    if len(name) > 200:
        raise ZoneInputError("name", "at most 200 characters")
    if capacity is None or str(capacity).strip() == "":
        raise ZoneInputError("capacity", "required (a whole number of people)")
    try:
        cap_f = float(str(capacity).strip())
    except (TypeError, ValueError):
        raise ZoneInputError("capacity", f"{capacity!r} is not a number of people") from None
    if not (np.isfinite(cap_f) and cap_f == int(cap_f) and cap_f > 0):
        raise ZoneInputError("capacity", "must be a whole number of people above 0")
    poly = _drawn_polygon(ring_lonlat)
    # A readable id from the name, plus a random suffix so that two zones of the same name never collide.
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")[:40] or "zone"
    zone_id = f"drawn-{slug}-{secrets.token_hex(3)}"
    frame = pd.DataFrame({"zone_id": [zone_id], "name": [name], "event_name": [None],
                          "capacity": [int(cap_f)], "geometry": [poly]})
    frame["area_m2"] = _areas_m2([poly])
    q.upsert_zones(conn, frame)
    _calibrate_zones(conn)
    audit.record(conn, actor=actor, action="zone.create", target=zone_id,
                 details={"name": name, "capacity": int(cap_f), "area_m2": round(float(frame["area_m2"][0]), 1),
                          "source": "drawn"})
    return zone_id
