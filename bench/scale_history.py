"""History for bench.scale, generated directly in PostgreSQL (not streamed): benchmark-only SQL.

A city's registry comes from the demo city (:func:`hexops.democity.build_city`,
loaded by :func:`hexops.democity.load.load_city`); its history is written by
``INSERT ... SELECT`` over ``generate_series``, minute after minute for every
camera (so rows lie in time order, as the workers write them), with
deterministic, plausible values:

- each camera has a base density (people/m2 of its field of view) drawn from
  its id's hash, most of them quiet, a few busy; people follow a daily rhythm
  and a slow per-camera wave;
- about one camera in twenty sees a wet road for part of the day;
- the hex 5-minute rollups are the sums of their cameras over the bucket, at
  resolutions 8, 9 and 10, so both tiers agree.

Each day's partitions are created in the transaction that fills them, so on
a ``wal_level = minimal`` cluster the bulk load writes almost no WAL.
"""

from __future__ import annotations

import datetime as dt

import psycopg
from psycopg import sql

from hexops.geodata import detections

_CAMERAS = """
CREATE TEMP TABLE IF NOT EXISTS bench_cams AS
SELECT camera_id, h3_r8, h3_r9, h3_r10, coalesce(fov_area_m2, 300.0) AS area,
       -- Most cameras quiet (0.02-0.3 p/m2), one in fifty busy (up to about 3 p/m2).
       CASE WHEN abs(hashtext(camera_id)) % 50 = 0 THEN 1.0 + (abs(hashtext(camera_id || 'b')) % 200) / 100.0
            ELSE 0.02 + (abs(hashtext(camera_id || 'd')) % 28) / 100.0 END AS density,
       (abs(hashtext(camera_id || 'w')) % 20 = 0) AS wet_prone,
       (abs(hashtext(camera_id || 'p')) % 628) / 100.0 AS phase
FROM cameras WHERE status = 'active' ORDER BY camera_id;
"""

# People at minute m: density x area x daily rhythm x a slow wave; rhythm peaks in the evening (HKT).
_PEOPLE = ("(c.density * c.area * (0.55 + 0.45 * sin((extract(epoch FROM {t}) / 86400.0 - 0.35) * 2 * pi()))"
           " * (0.85 + 0.15 * sin(extract(epoch FROM {t}) / 900.0 + c.phase)))")

_MINUTES = """
INSERT INTO detections_camera_minute (camera_id, minute, n_events, covered_s, people_s, people_max, vehicles_s,
                                      vehicles_max, wet_s, flooded_s, water_conf_max, saturated_n)
SELECT c.camera_id, m, 60, 60.0, 60.0 * p.people, ceil(p.people * 1.3)::int, 60.0 * (1 + c.phase),
       ceil(2 + c.phase)::int,
       CASE WHEN c.wet_prone AND extract(hour FROM m) BETWEEN 6 AND 11 THEN 60.0 ELSE 0.0 END, 0.0,
       CASE WHEN c.wet_prone THEN 0.8 ELSE 0.0 END, 0
FROM generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 minute', interval '1 minute') m,
     -- Lateral and not flattened (OFFSET 0): minute after minute, every camera, so rows lie in time order.
     LATERAL (SELECT *, m AS at_minute FROM bench_cams OFFSET 0) c,
     LATERAL (SELECT """ + _PEOPLE.format(t="m") + """ AS people) p
"""

_CELLS = """
CREATE TEMP TABLE IF NOT EXISTS bench_cells AS
SELECT h3, res, count(*) AS cams, sum(density * area) AS people, sum((wet_prone)::int) AS wet,
       avg(phase) AS phase, 1.0 AS density, 1.0 AS area
FROM (SELECT h3_r8 AS h3, 8 AS res, density, area, wet_prone, phase FROM bench_cams
      UNION ALL SELECT h3_r9, 9, density, area, wet_prone, phase FROM bench_cams
      UNION ALL SELECT h3_r10, 10, density, area, wet_prone, phase FROM bench_cams) x
GROUP BY h3, res ORDER BY h3;
"""

_BUCKETS = """
INSERT INTO detections_hex_5min (h3, resolution, bucket, n_events, covered_s, people_s, people_max, vehicles_s,
                                 vehicles_max, wet_s, flooded_s, water_conf_max, saturated_n)
SELECT c.h3, c.res, b, 5 * c.cams, 300.0 * c.cams, 300.0 * c.people * p.f, ceil(c.people * p.f)::int,
       300.0 * c.cams * 2, 4 * c.cams,
       CASE WHEN extract(hour FROM b) BETWEEN 6 AND 11 THEN 300.0 * c.wet ELSE 0.0 END, 0.0,
       CASE WHEN c.wet > 0 THEN 0.8 ELSE 0.0 END, 0
FROM generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '5 minutes', interval '5 minutes') b,
     LATERAL (SELECT *, b AS at_bucket FROM bench_cells OFFSET 0) c,
     LATERAL (SELECT (0.55 + 0.45 * sin((extract(epoch FROM b) / 86400.0 - 0.35) * 2 * pi()))
                     * (0.85 + 0.15 * sin(extract(epoch FROM b) / 900.0 + c.phase)) AS f) p
"""


def _days(start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """``[start, end)`` cut at UTC midnights."""
    out = []
    a = start
    while a < end:
        b = min(end, dt.datetime.combine(a.date() + dt.timedelta(days=1), dt.time(), dt.timezone.utc))
        out.append((a, b))
        a = b
    return out


def fill_camera_minutes(url: str, start: dt.datetime, end: dt.datetime, progress=None) -> int:
    """Every active camera's rows for each minute of ``[start, end)``; returns rows written."""
    total = 0
    with psycopg.connect(url) as conn:
        conn.execute(_CAMERAS)
        for a, b in _days(start, end):
            # A partition made in this transaction is not WAL-logged row by row under wal_level=minimal.
            detections.ensure_partitions(conn, "detections_camera_minute", [a.date()])
            total += conn.execute(_MINUTES, {"start": a, "end": b}).rowcount
            conn.commit()
            if progress:
                progress(f"camera minutes to {b:%Y-%m-%d %H:%M}: {total:,} rows")
        detections.extend_extent(conn, start, end - dt.timedelta(minutes=1))
        conn.commit()
    return total


def fill_hex_buckets(url: str, start: dt.datetime, end: dt.datetime, progress=None) -> int:
    """The hex 5-minute rollups (res 8, 9, 10) of ``[start, end)``; returns rows written."""
    total = 0
    with psycopg.connect(url) as conn:
        conn.execute(_CAMERAS)
        conn.execute(_CELLS)
        for a, b in _days(start, end):
            detections.ensure_partitions(conn, "detections_hex_5min", [a.date()])
            total += conn.execute(_BUCKETS, {"start": a, "end": b}).rowcount
            conn.commit()
            if progress:
                progress(f"hex buckets to {b:%Y-%m-%d %H:%M}: {total:,} rows")
    return total


def analyze(url: str, super_url: str | None = None) -> None:
    """Settle a bulk load as autovacuum and the checkpointer would, before anything is timed.

    Vacuum (visibility map, BRIN summaries) and statistics of the tables
    read by the pages, then a checkpoint so that writing out the load's
    dirty pages does not compete with the first measurements.
    """
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("detections_camera_minute", "detections_hex_5min", "cameras", "camera_ground_shares",
                      "crowd_regions", "detections_camera_latest"):
            conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
        conn.execute("SELECT brin_summarize_new_values(i.indexrelid) FROM pg_index i JOIN pg_class c "
                     "ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'brin'")
    if super_url:
        with psycopg.connect(super_url, autocommit=True) as conn:
            conn.execute("CHECKPOINT")
