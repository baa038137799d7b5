"""SQL for crowds: camera visible areas, event zones, ground shares, counts and alerts.

Every function takes an open psycopg connection and runs inside the
caller's transaction.  Geometry travels as WKB in WGS84 (EPSG:4326); areas
are m2 measured in HK1980 Grid (EPSG:2326); H3 cells are BIGINT (crowd hexes
are resolution 10, stored as text region ids beside zone ids).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable

import numpy as np
import pandas as pd
import psycopg
import shapely

from hexops.geodata import crowd_counts


def unknown_cameras(conn: psycopg.Connection, camera_ids: Iterable[str]) -> set[str]:
    """The ids among ``camera_ids`` that are not in the camera registry."""
    ids = sorted(set(camera_ids))
    rows = conn.execute("SELECT camera_id FROM cameras WHERE camera_id = ANY(%s)", (ids,)).fetchall()
    return set(ids) - {r[0] for r in rows}


def set_camera_fovs(conn: psycopg.Connection, frame: pd.DataFrame) -> int:
    """Set cameras' visible ground: ``camera_id``, ``fov`` (shapely Polygon, EPSG:4326), ``fov_area_m2``."""
    rows = [
        (shapely.to_wkb(g), float(a), c)
        for c, g, a in zip(frame["camera_id"], frame["fov"], frame["fov_area_m2"])
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE cameras SET fov = ST_SetSRID(ST_GeomFromWKB(%s), 4326), fov_area_m2 = %s, updated_at = now() "
            "WHERE camera_id = %s",
            rows,
        )
    return len(rows)


def cameras_with_fov(conn: psycopg.Connection) -> pd.DataFrame:
    """Active cameras with a visible ground polygon: ``camera_id``, ``fov`` (EPSG:4326),
    ``fov_area_m2``, ``h3_r9``, ``h3_r10``."""
    rows = conn.execute(
        "SELECT camera_id, ST_AsBinary(fov), fov_area_m2, h3_r9, h3_r10 FROM cameras "
        "WHERE fov IS NOT NULL AND fov_area_m2 IS NOT NULL AND status = 'active' ORDER BY camera_id"
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["camera_id", "fov", "fov_area_m2", "h3_r9", "h3_r10"])
    frame["fov"] = shapely.from_wkb([bytes(b) for b in frame["fov"]]) if len(frame) else []
    return frame


def upsert_zones(conn: psycopg.Connection, frame: pd.DataFrame) -> int:
    """Insert or replace event zones: ``zone_id``, ``name``, ``event_name``, ``capacity``,
    ``geometry`` (Polygon, EPSG:4326), ``area_m2``."""
    rows = [
        (z, n, e, int(c), shapely.to_wkb(g), float(a))
        for z, n, e, c, g, a in zip(frame["zone_id"], frame["name"], frame["event_name"], frame["capacity"],
                                    frame["geometry"], frame["area_m2"])
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO event_zones (zone_id, name, event_name, capacity, geom, area_m2) "
            "VALUES (%s, %s, %s, %s, ST_SetSRID(ST_GeomFromWKB(%s), 4326), %s) "
            "ON CONFLICT (zone_id) DO UPDATE SET name = excluded.name, event_name = excluded.event_name, "
            "capacity = excluded.capacity, geom = excluded.geom, area_m2 = excluded.area_m2, updated_at = now()",
            rows,
        )
    return len(rows)


def list_zones(conn: psycopg.Connection) -> pd.DataFrame:
    """Event zones: ``zone_id``, ``name``, ``event_name``, ``capacity``, ``area_m2``, ``geometry`` (EPSG:4326)."""
    rows = conn.execute(
        "SELECT zone_id, name, event_name, capacity, area_m2, ST_AsBinary(geom) FROM event_zones ORDER BY zone_id"
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["zone_id", "name", "event_name", "capacity", "area_m2", "geometry"])
    frame["geometry"] = shapely.from_wkb([bytes(b) for b in frame["geometry"]]) if len(frame) else []
    return frame


def replace_ground_shares(
    conn: psycopg.Connection, kind: str, pairs: pd.DataFrame, regions: pd.DataFrame
) -> int:
    """Replace every stored share of one region kind (``'hex'`` or ``'zone'``).

    ``pairs``: ``region``, ``camera_id``, ``share_m2``; ``regions`` indexed by
    region with ``area_m2`` and ``covered_m2``.  Region ids are stored as text.
    """
    conn.execute("DELETE FROM camera_ground_shares WHERE region_kind = %s", (kind,))
    conn.execute("DELETE FROM crowd_regions WHERE region_kind = %s", (kind,))
    with conn.cursor() as cur:
        with cur.copy("COPY camera_ground_shares (region_kind, region_id, camera_id, share_m2) FROM STDIN") as cp:
            for r, c, s in zip(pairs["region"], pairs["camera_id"], pairs["share_m2"]):
                cp.write_row((kind, str(r), c, float(s)))
        with cur.copy("COPY crowd_regions (region_kind, region_id, area_m2, covered_m2) FROM STDIN") as cp:
            for r, a, c in zip(regions.index, regions["area_m2"], regions["covered_m2"]):
                cp.write_row((kind, str(r), float(a), float(c)))
    return len(pairs)


def load_ground_shares(conn: psycopg.Connection, kind: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stored shares of one region kind: (pairs, regions) as :func:`replace_ground_shares` takes them."""
    pairs = pd.DataFrame(
        conn.execute(
            "SELECT region_id, camera_id, share_m2 FROM camera_ground_shares WHERE region_kind = %s "
            "ORDER BY region_id, camera_id", (kind,)
        ).fetchall(),
        columns=["region", "camera_id", "share_m2"],
    )
    regions = pd.DataFrame(
        conn.execute(
            "SELECT region_id, area_m2, covered_m2 FROM crowd_regions WHERE region_kind = %s ORDER BY region_id",
            (kind,),
        ).fetchall(),
        columns=["region", "area_m2", "covered_m2"],
    ).set_index("region")
    return pairs, regions


def latest_camera_counts(conn: psycopg.Connection, at: datetime, window: timedelta) -> pd.DataFrame:
    """Each camera's summary over the minutes ``[at - window, at)``.

    A minute row is labelled by its start, so these are exactly the minutes
    that ended by ``at``: nothing observed after ``at`` is read.  Minutes a
    JetStream worker still holds are read from its live preview (see
    :mod:`hexops.geodata.crowd_counts`).

    Returns a frame indexed by ``camera_id`` (in no particular order): ``people`` (mean visible),
    ``saturated`` (any saturated event), ``covered_s``, ``wet_s``,
    ``flooded_s`` (seconds), ``water_conf_max`` and ``last_unsaturated``
    (people/m2 of the camera's latest committed unsaturated minute in the
    last hour, NaN if none) for saturated cameras.
    """
    return latest_from_windows(conn, at, crowd_counts.camera_windows(conn, at, window, 1, water=True))


def latest_from_windows(conn: psycopg.Connection, at: datetime, windows: pd.DataFrame) -> pd.DataFrame:
    """:func:`latest_camera_counts`' frame from window 0 of :func:`crowd_counts.camera_windows` (``water=True``)."""
    seen = windows[windows["covered_s_0"] > 0]
    frame = pd.DataFrame({
        "people": seen["people_s_0"] / seen["covered_s_0"], "saturated": seen["saturated_0"].astype(bool),
        "covered_s": seen["covered_s_0"], "wet_s": seen["wet_s"], "flooded_s": seen["flooded_s"],
        "water_conf_max": seen["water_conf_max"], "last_unsaturated": np.nan,
    }, index=seen.index)
    saturated = frame.index[frame["saturated"].to_numpy()].tolist()
    if saturated:
        frame.loc[saturated, "last_unsaturated"] = crowd_counts.last_unsaturated(conn, at, saturated).reindex(
            saturated).to_numpy()
    return frame.astype({"people": float, "saturated": bool, "covered_s": float, "wet_s": float,
                         "flooded_s": float, "water_conf_max": float, "last_unsaturated": float})


def people_from_windows(windows: pd.DataFrame, n: int, first: int = 0) -> pd.DataFrame:
    """:func:`camera_people_windows`' long frame from windows ``first .. first + n - 1``, renumbered from 0."""
    parts = []
    for k in range(n):
        column = first + k
        covered = windows[f"covered_s_{column}"].to_numpy()
        seen = covered > 0
        parts.append(pd.DataFrame({
            "k": k, "camera_id": windows.index[seen],
            "people": windows[f"people_s_{column}"].to_numpy()[seen] / covered[seen],
            "saturated": windows[f"saturated_{column}"].to_numpy()[seen]}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["k", "camera_id", "people",
                                                                                  "saturated"])
    return out.astype({"k": int, "people": float, "saturated": bool})


def camera_people_windows(conn: psycopg.Connection, at: datetime, window: timedelta, n: int) -> pd.DataFrame:
    """Each camera's mean people and saturation in the ``n`` windows before ``at``, in one query.

    Window ``k`` (0 = the latest) holds the minutes ``[at - (k+1)*window, at - k*window)``.
    Returns ``k``, ``camera_id``, ``people``, ``saturated`` (the trend's history:
    no saturation prior is applied here), by window, cameras in no particular order.
    """
    return people_from_windows(crowd_counts.camera_windows(conn, at, window, n), n)


def recent_counts(conn: psycopg.Connection, at: datetime, window: timedelta,
                  n_history: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a crowd snapshot at ``at`` reads, in one pass: the latest counts and the history before them.

    Returns ``(latest, history)``: :func:`latest_camera_counts` over
    ``[at - window, at)`` and :func:`camera_people_windows` over the
    ``n_history`` windows before that.
    """
    windows = crowd_counts.camera_windows(conn, at, window, n_history + 1, water=True)
    return latest_from_windows(conn, at, windows), people_from_windows(windows, n_history, first=1)


def detection_time_range(conn: psycopg.Connection) -> tuple[datetime | None, datetime | None]:
    """Start of the first minute and end of the last minute with camera detections (UTC), or (None, None).

    Read from ``detections_extent``, which every ingest transaction (and
    each live preview) keeps: one row, whatever the history kept.
    """
    row = conn.execute(
        "SELECT first_minute, last_minute + interval '1 minute' FROM detections_extent"
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def input_versions(conn: psycopg.Connection) -> tuple:
    """Versions of what the crowd and flood layouts are built from (cached read models key on it).

    The camera registry's version and those of the ground shares, crowd
    regions, event zones and low-lying places (bumped by statement triggers).
    """
    row = conn.execute(
        "SELECT (SELECT version FROM camera_registry_version), "
        "coalesce((SELECT string_agg(table_name || ':' || version, ',' ORDER BY table_name) "
        "FROM hexops_table_versions), '')"
    ).fetchone()
    return (int(row[0]), row[1])


def try_job_lock(conn: psycopg.Connection, job: str) -> bool:
    """Take the alerting job's lock for this transaction; False when another process holds it."""
    row = conn.execute("SELECT pg_try_advisory_xact_lock(hashtext('hexops-alerts'), hashtext(%s))", (job,)).fetchone()
    return bool(row[0])


def get_cursor(conn: psycopg.Connection, job: str) -> datetime | None:
    """How far the alerting job ``job`` (``'crowd'`` or ``'flood'``) has advanced."""
    row = conn.execute("SELECT as_of FROM alert_cursors WHERE job = %s", (job,)).fetchone()
    return row[0] if row else None


def set_cursor(conn: psycopg.Connection, job: str, as_of: datetime) -> None:
    conn.execute(
        "INSERT INTO alert_cursors (job, as_of) VALUES (%s, %s) ON CONFLICT (job) DO UPDATE SET as_of = excluded.as_of",
        (job, as_of),
    )


def open_crowd_alerts(conn: psycopg.Connection) -> pd.DataFrame:
    """Alerts not yet cleared: ``alert_id``, ``region_kind``, ``region_id``, ``threshold``, ``below_since``,
    ``peak_density``."""
    rows = conn.execute(
        "SELECT alert_id, region_kind, region_id, threshold, below_since, peak_density "
        "FROM crowd_alerts WHERE cleared_at IS NULL ORDER BY alert_id"
    ).fetchall()
    return pd.DataFrame(rows, columns=["alert_id", "region_kind", "region_id", "threshold", "below_since",
                                       "peak_density"])


def insert_crowd_alert(conn: psycopg.Connection, kind: str, region_id: str, threshold: float, cause: str,
                       raised_at: datetime, density: float) -> int:
    """Raise one alert; returns its id."""
    row = conn.execute(
        "INSERT INTO crowd_alerts (region_kind, region_id, threshold, cause, raised_at, density_at_raise, "
        "peak_density) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING alert_id",
        (kind, region_id, threshold, cause, raised_at, density, density),
    ).fetchone()
    return int(row[0])


def update_crowd_alerts(conn: psycopg.Connection, rows: list[tuple]) -> int:
    """Update open alerts: rows of (alert_id, below_since, peak_density, cleared_at)."""
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE crowd_alerts SET below_since = %s, peak_density = greatest(peak_density, %s), "
            "cleared_at = %s WHERE alert_id = %s",
            [(b, p, c, a) for a, b, p, c in rows],
        )
    return len(rows)


def acknowledge_crowd_alert(conn: psycopg.Connection, alert_id: int, username: str, at: datetime) -> bool:
    """Record a user's acknowledgement; False when the alert does not exist or was already acknowledged."""
    row = conn.execute(
        "UPDATE crowd_alerts SET acknowledged_at = %s, acknowledged_by = %s "
        "WHERE alert_id = %s AND acknowledged_at IS NULL RETURNING alert_id",
        (at, username, alert_id),
    ).fetchone()
    return row is not None


def list_crowd_alerts(conn: psycopg.Connection, start: datetime, end: datetime) -> pd.DataFrame:
    """Alerts raised up to ``end`` and not cleared before ``start``, newest first."""
    rows = conn.execute(
        "SELECT alert_id, region_kind, region_id, threshold, cause, raised_at, density_at_raise, peak_density, "
        "acknowledged_at, acknowledged_by, cleared_at FROM crowd_alerts "
        "WHERE raised_at <= %s AND (cleared_at IS NULL OR cleared_at >= %s) ORDER BY raised_at DESC, alert_id DESC",
        (end, start),
    ).fetchall()
    return pd.DataFrame(rows, columns=["alert_id", "region_kind", "region_id", "threshold", "cause", "raised_at",
                                       "density_at_raise", "peak_density", "acknowledged_at", "acknowledged_by",
                                       "cleared_at"])


def get_zone(conn: psycopg.Connection, zone_id: str) -> dict | None:
    """One zone's ``zone_id``, ``name``, ``capacity``, ``area_m2`` (None when there is none), locked for update."""
    row = conn.execute("SELECT zone_id, name, capacity, area_m2 FROM event_zones WHERE zone_id = %s FOR UPDATE",
                       (zone_id,)).fetchone()
    return None if row is None else {"zone_id": row[0], "name": row[1], "capacity": int(row[2]), "area_m2": row[3]}


def update_zone(conn: psycopg.Connection, zone_id: str, name: str, capacity: int) -> int:
    """Rename a zone and set its capacity (its polygon is kept); returns rows changed."""
    return conn.execute("UPDATE event_zones SET name = %s, capacity = %s, updated_at = now() WHERE zone_id = %s",
                        (name, int(capacity), zone_id)).rowcount


def delete_zone(conn: psycopg.Connection, zone_id: str, at) -> int:
    """Delete a zone; its open alerts are cleared at ``at`` (raised ones stay in the history)."""
    conn.execute("UPDATE crowd_alerts SET cleared_at = greatest(raised_at, %s) "
                 "WHERE region_kind = 'zone' AND region_id = %s AND cleared_at IS NULL", (at, zone_id))
    conn.execute("DELETE FROM camera_ground_shares WHERE region_kind = 'zone' AND region_id = %s", (zone_id,))
    conn.execute("DELETE FROM crowd_regions WHERE region_kind = 'zone' AND region_id = %s", (zone_id,))
    return conn.execute("DELETE FROM event_zones WHERE zone_id = %s", (zone_id,)).rowcount
