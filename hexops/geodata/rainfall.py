"""SQL for rainfall readings (mm/h) from gauges or by district.

A reading has a position (a gauge's point) or, for a district-wide
reading, takes a point inside its district.  Geometry is WGS84
(EPSG:4326); times are ``timestamptz`` (UTC).  Functions run inside the
caller's transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import psycopg


def unknown_districts(conn: psycopg.Connection, codes: list[str]) -> set[str]:
    """The district codes among ``codes`` that are not in ``districts``."""
    wanted = sorted({c for c in codes if c})
    rows = conn.execute("SELECT code FROM districts WHERE code = ANY(%s)", (wanted,)).fetchall()
    return set(wanted) - {r[0] for r in rows}


def upsert_readings(conn: psycopg.Connection, frame: pd.DataFrame) -> int:
    """Insert readings (a repeated (station, time) replaces the earlier value).

    ``frame``: ``station_id``, ``observed_at`` (aware datetime), ``mm_per_h``,
    ``district_code`` (or None), ``lon``, ``lat`` (EPSG:4326, or NaN).
    """
    rows = [
        (s, t, float(m), d if isinstance(d, str) and d else None,
         None if pd.isna(x) else float(x), None if pd.isna(y) else float(y))
        for s, t, m, d, x, y in zip(frame["station_id"], frame["observed_at"], frame["mm_per_h"],
                                    frame["district_code"], frame["lon"], frame["lat"])
    ]
    with conn.cursor() as cur:
        cur.executemany(
            """
            INSERT INTO rainfall_readings (station_id, observed_at, mm_per_h, district_code, geom)
            VALUES (%s, %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326))
            ON CONFLICT (station_id, observed_at) DO UPDATE SET mm_per_h = excluded.mm_per_h,
                district_code = excluded.district_code, geom = excluded.geom
            """,
            [(s, t, m, d, x, y) for s, t, m, d, x, y in rows],
        )
    return len(rows)


def latest_readings(conn: psycopg.Connection, at: datetime, lookback: timedelta = timedelta(hours=1)) -> pd.DataFrame:
    """Each station's latest reading in ``(at - lookback, at]`` with its position.

    Returns ``station_id``, ``observed_at``, ``mm_per_h``, ``district_code``,
    ``lon``, ``lat`` (the gauge, or a point inside its district).  Stations
    with no position are left out.
    """
    rows = conn.execute(
        """
        SELECT DISTINCT ON (r.station_id) r.station_id, r.observed_at, r.mm_per_h, r.district_code,
               ST_X(coalesce(r.geom, ST_PointOnSurface(d.geom))), ST_Y(coalesce(r.geom, ST_PointOnSurface(d.geom)))
        FROM rainfall_readings r LEFT JOIN districts d ON d.code = r.district_code
        WHERE r.observed_at > %s AND r.observed_at <= %s AND coalesce(r.geom, d.geom) IS NOT NULL
        ORDER BY r.station_id, r.observed_at DESC
        """,
        (at - lookback, at),
    ).fetchall()
    return pd.DataFrame(rows, columns=["station_id", "observed_at", "mm_per_h", "district_code", "lon", "lat"])


def readings_between(conn: psycopg.Connection, start: datetime, end: datetime) -> pd.DataFrame:
    """Readings in ``[start, end]``: ``station_id``, ``observed_at``, ``mm_per_h``, ``district_code``."""
    rows = conn.execute(
        "SELECT station_id, observed_at, mm_per_h, district_code FROM rainfall_readings "
        "WHERE observed_at >= %s AND observed_at <= %s ORDER BY observed_at, station_id",
        (start, end),
    ).fetchall()
    return pd.DataFrame(rows, columns=["station_id", "observed_at", "mm_per_h", "district_code"])


def reading_time_range(conn: psycopg.Connection) -> tuple[datetime | None, datetime | None]:
    """First and last reading time (UTC), or (None, None)."""
    row = conn.execute("SELECT min(observed_at), max(observed_at) FROM rainfall_readings").fetchone()
    return row[0], row[1]
