"""Incidents in PostGIS: loading validated rows, and reading them back per H3 cell.

Positions are WGS84 (EPSG:4326) points; each incident carries its H3 cells at
resolutions 8, 9 and 10 and its district.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from hexops.geodata.h3cells import RESOLUTIONS, latlng_to_cells
from hexops.geodata.reference import assign_point_districts, insert_incidents


def content_id(time: pd.Series, lat: pd.Series, lon: pd.Series, kind: pd.Series) -> pd.Series:
    """A stable id from an incident's time, place (to ~1 m) and type, for files without ids.

    Loading the same file twice then adds nothing the second time.
    """
    keys = (time.dt.strftime("%Y-%m-%dT%H:%M:%S") + "|" + lat.round(5).astype(str) + "|"
            + lon.round(5).astype(str) + "|" + kind.astype(str))
    return keys.map(lambda k: "sha1:" + hashlib.sha1(k.encode()).hexdigest()[:20])


def store_incidents(conn: psycopg.Connection, events: pd.DataFrame) -> tuple[int, int]:
    """Insert validated incidents (``analytics.risk.events.prepare_events`` output).

    Rows whose ``external_id`` is already stored are skipped.  Runs in the
    caller's transaction.

    Returns
    -------
    (inserted, skipped)
    """
    if events.empty:
        return 0, 0
    lat = events["lat"].to_numpy(dtype=float)
    lon = events["lon"].to_numpy(dtype=float)
    ids = events["external_id"].astype(object)
    missing = ids.isna()
    if missing.any():
        ids = ids.where(~missing, content_id(events["time"], events["lat"], events["lon"], events["type"]))
    frame = pd.DataFrame({
        "external_id": ids.to_numpy(),
        "occurred_at": events["time"].to_numpy(),
        "type": events["type"].to_numpy(),
        "source": events["source"].to_numpy(),
        "geom": _ewkb(lon, lat),
        **{f"h3_r{r}": latlng_to_cells(lat, lon, r) for r in RESOLUTIONS},
    })
    inserted = insert_incidents(conn, frame)
    assign_point_districts(conn, ("incidents",))
    return inserted, len(frame) - inserted


def _ewkb(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    points = shapely.set_srid(shapely.points(lon, lat), 4326)
    return shapely.to_wkb(points, hex=True, include_srid=True)


def incident_frame(
    conn: psycopg.Connection,
    start: datetime,
    end: datetime,
    resolution: int = 9,
    event_type: str | None = None,
) -> pd.DataFrame:
    """Incidents in ``[start, end)``: ``time`` (UTC), ``cell`` (H3 at ``resolution``),
    ``type``, ``source``, ``district``."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution must be one of {RESOLUTIONS}")
    column = sql.Identifier(f"h3_r{resolution}")
    rows = conn.execute(
        sql.SQL(
            "SELECT occurred_at, {c}, type, source, district_code FROM incidents "
            "WHERE occurred_at >= %s AND occurred_at < %s AND (%s::text IS NULL OR type = %s) "
            "ORDER BY occurred_at"
        ).format(c=column),
        (start, end, event_type, event_type),
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["time", "cell", "type", "source", "district"])
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    frame["cell"] = frame["cell"].astype(np.int64)
    return frame


def incident_span(conn: psycopg.Connection) -> tuple[datetime | None, datetime | None]:
    """Earliest and latest incident times."""
    return tuple(conn.execute("SELECT min(occurred_at), max(occurred_at) FROM incidents").fetchone())


def incident_types(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT type FROM incidents ORDER BY type").fetchall()]
