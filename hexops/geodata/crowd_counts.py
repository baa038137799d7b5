"""Each camera's recent counts, window by window, in one pass over the camera-minute rows.

The Events page and the alert machines ask, for every camera, for its mean
people and saturation in the last few 5-minute windows, and for the latest
window its water seconds.  At 60,000 cameras that is about 300,000 minute
rows per window; this module reads them once for all windows:

- the rows of ``[at - n x window, at)``: committed camera-minute rows (the
  partition's BRIN finds them: rows arrive in time order) and the live
  preview of minutes a worker still holds, added only while their (camera,
  minute) has no committed row, so nothing counts twice;
- one hash aggregate per camera with a ``FILTER`` per window (no sort, no
  expression in the group key), no parallel workers and no JIT: on two
  shared cores the gathers, the sorts they need and the compilation cost
  more than they save;
- the binary protocol, and column-wise NumPy after it.

Everything runs in the caller's transaction (its settings are local to it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

#: Camera-minute rows in ``[start, at)`` (see the module docstring).
MINUTES = """
    SELECT d.camera_id, d.minute, d.covered_s, d.people_s, d.wet_s, d.flooded_s, d.water_conf_max, d.saturated_n
    FROM detections_camera_minute d
    WHERE d.minute >= %(start)s AND d.minute < %(at)s
    UNION ALL
    SELECT l.camera_id, l.minute, l.covered_s, l.people_s, l.wet_s, l.flooded_s, l.water_conf_max, l.saturated_n
    FROM detections_camera_latest l
    WHERE l.minute >= %(start)s AND l.minute < %(at)s
      AND NOT EXISTS (SELECT 1 FROM detections_camera_minute c
                      WHERE c.minute = l.minute AND c.camera_id = l.camera_id
                        AND c.minute >= %(start)s AND c.minute < %(at)s)
"""


def _local_settings(conn: psycopg.Connection) -> None:
    conn.execute("SET LOCAL jit = off")
    conn.execute("SET LOCAL max_parallel_workers_per_gather = 0")


def camera_windows(conn: psycopg.Connection, at: datetime, window: timedelta, n: int,
                   water: bool = False) -> pd.DataFrame:
    """Each camera's sums in the ``n`` windows before ``at`` (window 0 the latest).

    Window ``k`` holds the minutes starting in ``[at - (k+1) x window, at - k x window)``.

    Returns
    -------
    DataFrame
        Indexed by ``camera_id`` (cameras with any row), columns per window
        ``people_s_k``, ``covered_s_k`` (seconds) and ``saturated_k`` (bool);
        with ``water``, also ``wet_s``, ``flooded_s`` and ``water_conf_max``
        of window 0.
    """
    bounds = [at - k * window for k in range(n + 1)]
    params: dict = {"start": bounds[-1], "at": at}
    columns: list[sql.Composable] = []
    names: list[str] = []
    for k in range(n):
        params[f"lo{k}"], params[f"hi{k}"] = bounds[k + 1], bounds[k]
        where = sql.SQL("FILTER (WHERE d.minute >= {} AND d.minute < {})").format(
            sql.Placeholder(f"lo{k}"), sql.Placeholder(f"hi{k}"))
        columns += [sql.SQL("sum(d.people_s) {}").format(where), sql.SQL("sum(d.covered_s) {}").format(where),
                    sql.SQL("coalesce(sum(d.saturated_n) {}, 0)").format(where)]
        names += [f"people_s_{k}", f"covered_s_{k}", f"saturated_{k}"]
    if water:
        where = sql.SQL("FILTER (WHERE d.minute >= %(lo0)s)")
        columns += [sql.SQL("sum(d.wet_s) {}").format(where), sql.SQL("sum(d.flooded_s) {}").format(where),
                    sql.SQL("max(d.water_conf_max) {}").format(where)]
        names += ["wet_s", "flooded_s", "water_conf_max"]
    query = sql.SQL("SELECT d.camera_id, {} FROM ({}) d GROUP BY d.camera_id").format(
        sql.SQL(", ").join(columns), sql.SQL(MINUTES))
    _local_settings(conn)
    with conn.cursor(binary=True) as cur:
        rows = cur.execute(query, params).fetchall()
    frame = pd.DataFrame.from_records(rows, columns=["camera_id", *names]).set_index("camera_id")
    for name in names:
        values = frame[name].to_numpy(dtype=float)
        frame[name] = values > 0 if name.startswith("saturated_") else values
    return frame


def last_unsaturated(conn: psycopg.Connection, at: datetime, camera_ids: list[str]) -> pd.Series:
    """People/m2 of each camera's latest committed unsaturated minute in the hour before ``at`` (NaN if none).

    Minute by minute through the primary key (minute, camera_id): the few
    saturated cameras never make it scan the hour of every camera.
    """
    if not camera_ids:
        return pd.Series(dtype=float)
    newest = at.replace(second=0, microsecond=0)
    if newest == at:
        newest -= timedelta(minutes=1)
    minutes = [m for m in (newest - timedelta(minutes=k) for k in range(61)) if m >= at - timedelta(hours=1)]
    rows = conn.execute(
        """
        SELECT c.camera_id, p.density
        FROM cameras c CROSS JOIN LATERAL (
            SELECT d.people_s / nullif(d.covered_s, 0) / c.fov_area_m2 AS density
            FROM detections_camera_minute d
            WHERE d.minute = ANY(%(minutes)s) AND d.camera_id = c.camera_id
              AND d.saturated_n = 0 AND d.covered_s > 0
            ORDER BY d.minute DESC LIMIT 1) p
        WHERE c.camera_id = ANY(%(ids)s)
        """,
        {"minutes": minutes, "ids": list(camera_ids)},
    ).fetchall()
    return pd.Series({c: (np.nan if d is None else float(d)) for c, d in rows}, dtype=float)
