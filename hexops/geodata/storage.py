"""SQL of the storage tiers: hourly hex rollups, partition sizes, the rollup cursor.

Tiers (migration 080): camera-minute rows a week, idempotency keys two
days, hex 5-minute rollups 90 days, hex hourly rollups two years (monthly
partitions).  The hourly tier is rolled up from the 5-minute one, an hour at
a time, once the hour is past the late-event window, so it is written once.
Everything here runs in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt

import psycopg
from psycopg import sql

from hexops.geodata.detections import AGG_COLUMNS, MAX_COLUMNS

#: The hourly rollup's cursor name in ``hexops_rollup_cursors``.
HEX_HOUR = "hex_hour"


def rollup_done_until(conn: psycopg.Connection, rollup: str = HEX_HOUR) -> dt.datetime | None:
    """The end of the last hour rolled up (UTC), or None before the first run."""
    row = conn.execute("SELECT done_until FROM hexops_rollup_cursors WHERE rollup = %s", (rollup,)).fetchone()
    return row[0] if row else None


def set_rollup_done_until(conn: psycopg.Connection, until: dt.datetime, rollup: str = HEX_HOUR) -> None:
    conn.execute(
        "INSERT INTO hexops_rollup_cursors (rollup, done_until) VALUES (%s, %s) "
        "ON CONFLICT (rollup) DO UPDATE SET done_until = excluded.done_until",
        (rollup, until),
    )


def first_hex_bucket(conn: psycopg.Connection) -> dt.datetime | None:
    """The earliest 5-minute bucket kept (UTC): one descent of each partition's time-first key."""
    return conn.execute("SELECT min(bucket) FROM detections_hex_5min").fetchone()[0]


def roll_up_hours(conn: psycopg.Connection, start: dt.datetime, end: dt.datetime) -> int:
    """(Re)compute the hourly rollups of the hours in ``[start, end)`` (whole UTC hours) from the 5-minute tier.

    Sums add up and maxima take the maximum over the hour's twelve buckets;
    a row already there is replaced, so rolling an hour up again (after a
    backfill) is safe.  Returns rows written.
    """
    sums = sql.SQL(", ").join(
        sql.SQL("{}({})").format(sql.SQL("max" if c in MAX_COLUMNS else "sum"), sql.Identifier(c)) for c in AGG_COLUMNS)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in AGG_COLUMNS)
    assign = sql.SQL(", ").join(sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c)) for c in AGG_COLUMNS)
    return conn.execute(sql.SQL(
        "INSERT INTO detections_hex_hour AS t (h3, resolution, bucket, {cols}) "
        "SELECT h3, min(resolution), date_trunc('hour', bucket) AS hour, {sums} FROM detections_hex_5min "
        "WHERE bucket >= %(start)s AND bucket < %(end)s GROUP BY hour, h3 ORDER BY hour, h3 "
        "ON CONFLICT (bucket, h3) DO UPDATE SET {assign}"
    ).format(cols=cols, sums=sums, assign=assign), {"start": start, "end": end}).rowcount


def partition_sizes(conn: psycopg.Connection) -> list[dict]:
    """Every registered partitioned table: its tier and what it holds on disk.

    Returns
    -------
    list of dict
        ``table``, ``period`` (day or month), ``keep_days``, ``partitions``,
        ``oldest`` and ``newest`` (the first day of the oldest and newest
        partition, or None), ``bytes`` (heap, indexes and TOAST of all its
        partitions) and ``rows_estimate`` (the planner's count).
    """
    rows = conn.execute(
        "SELECT t.table_name, t.period, t.keep_days, count(c.oid), "
        "min(to_date(substring(c.relname FROM '_p([0-9]{8})$'), 'YYYYMMDD')), "
        "max(to_date(substring(c.relname FROM '_p([0-9]{8})$'), 'YYYYMMDD')), "
        "coalesce(sum(pg_total_relation_size(c.oid)), 0), coalesce(sum(greatest(c.reltuples, 0)), 0) "
        "FROM hexops_partitioned_tables t "
        "LEFT JOIN pg_inherits i ON i.inhparent = to_regclass(t.table_name) "
        "LEFT JOIN pg_class c ON c.oid = i.inhrelid "
        "GROUP BY t.table_name, t.period, t.keep_days ORDER BY t.table_name"
    ).fetchall()
    return [{"table": r[0], "period": r[1], "keep_days": int(r[2]), "partitions": int(r[3]), "oldest": r[4],
             "newest": r[5], "bytes": int(r[6]), "rows_estimate": int(r[7])} for r in rows]


def state_table_sizes(conn: psycopg.Connection) -> dict[str, int]:
    """Bytes of the small state tables read by every refresh (they must stay small)."""
    rows = conn.execute(
        "SELECT relname, pg_total_relation_size(oid) FROM pg_class "
        "WHERE relname IN ('detections_extent', 'detections_camera_latest') AND relkind = 'r'"
    ).fetchall()
    return {name: int(size) for name, size in rows}
