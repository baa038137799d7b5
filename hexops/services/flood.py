"""Flood use cases: advance the per-hex state machines, re-plan crews, and the demo step.

Flood hexes are H3 resolution 9.  The machine advances through the
detections and rain readings in 5-minute steps, in time order, from where it
last stopped (``alert_cursors``); every transition is recorded with its
evidence, and each change in the set of flooded hexes re-plans the crews.
When a hex becomes flooded, partners' webhooks are queued through
``services.webhooks.enqueue_flood_alert`` in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from hexops.analytics.crews import CrewConfig, plan_crews, severity
from hexops.analytics.crowd import to_hk1980
from hexops.analytics.flood import FLOODED, STATES, FloodConfig, flood_refresh, nearby_pairs
from hexops.geodata import crowd as crowd_q
from hexops.geodata import flood as q
from hexops.geodata import rainfall as rain_q
from hexops.geodata.h3cells import polygon_to_cells
from hexops.services.webhooks import enqueue_flood_alert

FLOOD_RESOLUTION = 9
STEP = timedelta(minutes=5)
RAIN_LOOKBACK = timedelta(minutes=30)
DEMO_STEP = (30, "crowds and floods: zones, low-lying places, rainfall, calibration, alerts, crews")


def _place_cells(geom) -> set[int]:
    cells = set()
    for part in getattr(geom, "geoms", [geom]):
        cells.update(polygon_to_cells(part, FLOOD_RESOLUTION))
        p = part.representative_point()
        cells.add(h3i.latlng_to_cell(p.y, p.x, FLOOD_RESOLUTION))
    return cells


def flood_layout(conn) -> dict:
    """Hexes watched for floods (cameras' and low-lying places' cells) as positional arrays."""
    cams = q.camera_cells(conn)
    low = set()
    for geom in q.list_low_lying(conn)["geometry"]:
        low |= _place_cells(geom)
    hexes = pd.Index(sorted(set(cams["h3_r9"].astype(np.int64).tolist()) | low), dtype=np.int64)
    centres = [h3i.cell_to_latlng(int(h)) for h in hexes]
    xy = shapely.get_coordinates(to_hk1980([Point(lng, lat) for lat, lng in centres])) if len(hexes) else np.zeros((0, 2))
    return {
        "hexes": hexes,
        "camera_ids": pd.Index(cams["camera_id"]),
        "camera_hex": hexes.get_indexer(cams["h3_r9"].astype(np.int64)),
        "xy": xy,
        "low_lying": np.isin(hexes.to_numpy(), np.array(sorted(low), dtype=np.int64)),
    }


def _queue_webhook(conn, h3: int, at: datetime, evidence: dict) -> None:
    """Tell partners granted ``flood_alerts`` that a hex is flooded (aggregates only)."""
    cell = h3i.int_to_str(int(h3))
    enqueue_flood_alert(conn, {"alert_id": f"flood-{cell}-{at.isoformat()}", "h3": cell, "state": "flooded",
                               "at": at.isoformat(), "evidence": evidence})


def advance_floods(conn, until: datetime, start: datetime | None = None, config: FloodConfig = FloodConfig(),
                   crew_config: CrewConfig = CrewConfig(),
                   progress: Callable[[datetime], None] | None = None) -> dict[str, int]:
    """Run every hex's flood machine in 5-minute steps from the stored cursor (or ``start``) to ``until``."""
    if not crowd_q.try_job_lock(conn, "flood"):
        # Another refresh is advancing the same machines; it will write the same result.
        return {"steps": 0, "transitions": 0, "plans": 0}
    cursor = crowd_q.get_cursor(conn, "flood") or start
    if cursor is None:
        cursor = crowd_q.detection_time_range(conn)[0]
        if cursor is None:
            return {"steps": 0, "transitions": 0, "plans": 0}
    lay = flood_layout(conn)
    n = len(lay["hexes"])
    state = np.zeros(n, np.int8)
    lower = np.full(n, np.nan)
    since = np.full(n, None, dtype=object)
    stored = set()
    evidence_of: dict[int, dict] = {}
    for row in q.flood_states(conn).itertuples():
        i = lay["hexes"].get_indexer([row.h3])[0]
        if i >= 0:
            state[i] = STATES.index(row.state)
            # None becomes NaT in a column that also holds times.
            lower[i] = pd.Timestamp(row.lower_since).timestamp() if pd.notna(row.lower_since) else np.nan
            since[i] = row.since
            evidence_of[i] = row.evidence
            stored.add(i)
    crews = q.list_crews(conn)
    if len(crews):
        depot_xy = shapely.get_coordinates(to_hk1980([Point(x, y) for x, y in zip(crews["lon"], crews["lat"])]))
        crews = crews.assign(depot_x=depot_xy[:, 0], depot_y=depot_xy[:, 1])
    _, last_plan = q.crew_plan_at(conn, until)
    on_site = last_plan[last_plan["order"] == 0].set_index("crew_id")["h3"].to_dict() if len(last_plan) else {}
    counts = {"steps": 0, "transitions": 0, "plans": 0}
    t = cursor + STEP
    flooded_before = frozenset(lay["hexes"][state == FLOODED].tolist())
    while t <= until:
        cam = crowd_q.latest_camera_counts(conn, t, STEP)
        pos = lay["camera_ids"].get_indexer(cam.index)
        cam = cam[pos >= 0]
        rain = rain_q.latest_readings(conn, t, RAIN_LOOKBACK)
        gauge_xy = shapely.get_coordinates(to_hk1980([Point(x, y) for x, y in zip(rain["lon"], rain["lat"])])) \
            if len(rain) else np.zeros((0, 2))
        step, ev, target = flood_refresh(
            lay["camera_hex"][pos[pos >= 0]], n, cam["covered_s"].to_numpy(), cam["wet_s"].to_numpy(),
            cam["flooded_s"].to_numpy(), cam["water_conf_max"].to_numpy(),
            nearby_pairs(lay["xy"], gauge_xy, config.rain_radius_m), rain["mm_per_h"].to_numpy(float),
            lay["low_lying"], state, lower, t.timestamp(), config)
        rows = []
        for i in np.flatnonzero(step.changed):
            evidence = ev.row(int(i)) | {"target": STATES[int(target[i])]}
            rows.append((lay["hexes"][i], t, STATES[state[i]], STATES[step.state[i]], str(step.reason[i]), evidence))
            since[i] = t
            stored.add(int(i))
            if step.state[i] == FLOODED:
                _queue_webhook(conn, lay["hexes"][i], t, evidence)
        q.record_transitions(conn, rows)
        counts["transitions"] += len(rows)
        for i in stored:
            evidence_of[i] = ev.row(int(i)) | {"target": STATES[int(target[i])], "reason": str(step.reason[i])}
        state, lower = step.state, step.lower_since
        flooded_now = frozenset(lay["hexes"][state == FLOODED].tolist())
        if flooded_now != flooded_before and len(crews):
            on_site = _replan(conn, t, lay, ev, state, crews, on_site, crew_config)
            counts["plans"] += 1
        flooded_before = flooded_now
        counts["steps"] += 1
        if progress is not None:
            progress(t)
        t += STEP
    as_of = t - STEP
    q.save_flood_states(conn, [
        (lay["hexes"][i], STATES[state[i]], since[i] or as_of,
         None if np.isnan(lower[i]) else datetime.fromtimestamp(lower[i], as_of.tzinfo), as_of,
         evidence_of.get(i, {}))
        for i in sorted(stored)
    ])
    crowd_q.set_cursor(conn, "flood", as_of)
    return counts


def _replan(conn, t, lay, ev, state, crews, on_site, crew_config) -> dict:
    """Plan crews for the flooded hexes now; crews on a still-flooded hex keep it."""
    idx = np.flatnonzero(state == FLOODED)
    floods = pd.DataFrame({
        "h3": lay["hexes"][idx], "x": lay["xy"][idx, 0], "y": lay["xy"][idx, 1],
        "severity": severity(state[idx], ev.n_flooded[idx], ev.rain_mm_h[idx], ev.low_lying[idx]),
    })
    crews = crews.assign(busy_at=[on_site.get(c) for c in crews["crew_id"]])
    plan = plan_crews(crews, floods, crew_config).merge(floods[["h3", "severity"]], on="h3")
    q.save_crew_plan(conn, t, plan)
    return plan[plan["order"] == 0].set_index("crew_id")["h3"].to_dict()


#: The demo's Drainage Services depots (EPSG:4326 lon, lat) and crews per depot.
DEMO_DEPOTS: tuple[tuple[str, str, float, float, int], ...] = (
    ("DSD-KLN", "Kowloon depot, Cheung Sha Wan", 114.1540, 22.3370, 2),
    ("DSD-HKE", "Hong Kong East depot, Chai Wan", 114.2330, 22.2680, 2),
    ("DSD-HKW", "Hong Kong West depot, Sheung Wan", 114.1480, 22.2860, 1),
    ("DSD-NT", "New Territories depot, Sha Tin", 114.1880, 22.3830, 1),
)


def load_demo_crews(conn) -> int:
    """Insert the demo's depots and crews (idempotent); returns the number of crews."""
    q.upsert_depots(conn, [(d, name, lon, lat) for d, name, lon, lat, _ in DEMO_DEPOTS])
    crews = [(f"{d}-C{k + 1}", d, f"{name.split(' depot')[0]} crew {k + 1}")
             for d, name, _, _, n in DEMO_DEPOTS for k in range(n)]
    return q.upsert_crews(conn, crews)


def load_demo_reference(conn, city) -> dict[str, int]:
    """The demo city's event zones, low-lying places and rain readings (idempotent upserts)."""
    from hexops.democity import scenarios
    from hexops.ingest.simulator import simulate_rainfall

    zones = pd.DataFrame({
        "zone_id": city.event_zones["zone_id"], "name": city.event_zones["name"],
        "event_name": "National Day fireworks 2026", "capacity": city.event_zones["capacity"].astype(int),
        "geometry": city.event_zones.geometry.to_numpy(), "area_m2": city.event_zones["area_m2"],
    })
    crowd_q.upsert_zones(conn, zones)
    places = pd.DataFrame({
        "place_id": city.low_lying["place_id"], "name": city.low_lying["name"], "kind": "low_lying",
        "prior": city.low_lying["prior"], "geometry": city.low_lying.geometry.to_numpy(),
    })
    q.upsert_low_lying(conn, places)
    readings = simulate_rainfall(city, scenarios.DEMO_START, scenarios.DEMO_END)
    gauges = city.rain_gauges.set_index("station_id")
    readings = readings.assign(
        district_code=gauges.loc[readings["station_id"], "district_code"].to_numpy(),
        lon=gauges.geometry.x.loc[readings["station_id"]].to_numpy(),
        lat=gauges.geometry.y.loc[readings["station_id"]].to_numpy(),
    )
    rain_q.upsert_readings(conn, readings)
    return {"zones": len(zones), "low_lying": len(places), "rain_readings": len(readings),
            "crews": load_demo_crews(conn)}


def demo_step(context, echo) -> None:
    """Load the demo's zones, places, rainfall and crews; calibrate; advance crowd and flood alerts."""
    from hexops.democity import build_city
    from hexops.services import crowd

    city = build_city()
    with context.db.connection() as conn:
        loaded = load_demo_reference(conn, city)
        echo(f"  loaded {loaded}")
        echo(f"  calibrated {crowd.calibrate(conn)}")
        last = crowd_q.detection_time_range(conn)[1]
    if last is None:
        echo("  no detections loaded: crowd and flood alerts not computed")
        return
    with context.db.connection() as conn:
        configured = crowd.alert_settings(context.settings)
        raised = crowd.advance_alerts(conn, last, thresholds=configured.thresholds, config=configured.config)
        echo(f"  crowd alerts {raised}")
    with context.db.connection() as conn:
        echo(f"  flood states {advance_floods(conn, last)}")


def store_rainfall(conn, readings: pd.DataFrame, source: str, row_label: Callable[[int], str]) -> int:
    """Store validated readings after checking their districts exist (LoadError names the rows)."""
    from hexops.geodata.errors import LoadError

    unknown = rain_q.unknown_districts(conn, [d for d in readings["district_code"] if isinstance(d, str)])
    if unknown:
        raise LoadError(source, [f"{row_label(i)}, field district_code: unknown district {d!r}"
                                 for i, d in enumerate(readings["district_code"]) if d in unknown])
    return rain_q.upsert_readings(conn, readings)


def load_rainfall_file(conn, path) -> int:
    """Load a rainfall CSV (see :func:`services.crowd_files.read_rainfall_csv`) in one transaction."""
    from hexops.services.crowd_files import read_rainfall_csv

    return store_rainfall(conn, read_rainfall_csv(path), str(path), lambda i: f"line {i + 2}")


def load_low_lying_file(conn, path) -> int:
    """Load low-lying and flood-prone places from a polygon layer."""
    from hexops.services.crowd_files import read_low_lying

    return q.upsert_low_lying(conn, read_low_lying(path))


def load_crews_file(conn, path) -> int:
    """Load drainage crews and their depots from a CSV (one transaction; LoadError on bad lines)."""
    from hexops.services.crowd_files import read_crews_csv

    crews = read_crews_csv(path)
    depots = crews.drop_duplicates("depot_id")
    q.upsert_depots(conn, list(zip(depots["depot_id"], depots["depot_name"], depots["lon"], depots["lat"])))
    return q.upsert_crews(conn, list(zip(crews["crew_id"], crews["depot_id"], crews["name"])))
