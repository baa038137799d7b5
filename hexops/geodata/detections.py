"""SQL of the detection ingest path: registry reads, idempotency keys, aggregate upserts.

Everything here runs inside the caller's transaction.  Bulk rows travel by
COPY into per-session temporary staging tables and are merged with one
set-based ``INSERT ... SELECT ... ON CONFLICT`` each, ordered by time, then
camera or cell: concurrent workers take row locks in the same order (no
deadlocks between them on the aggregate rows), and rows land in the heap in
time order, which keeps each partition's BRIN index selective.  Writers move
``detections_extent`` last in their transaction (see :func:`extend_extent`).
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from hexops.geodata.ingest_copy import copy_frame

#: Tables written by ingestion, each day-partitioned.
INGEST_TABLES: tuple[str, ...] = (
    "detections_camera_minute",
    "detections_hex_5min",
    "ingest_event_keys",
    "ingest_quarantine",
)

#: Additive aggregate columns (count x seconds, or counts) and max columns.
SUM_COLUMNS: tuple[str, ...] = (
    "n_events", "covered_s", "people_s", "vehicles_s", "wet_s", "flooded_s", "saturated_n",
)
MAX_COLUMNS: tuple[str, ...] = ("people_max", "vehicles_max", "water_conf_max")
AGG_COLUMNS: tuple[str, ...] = SUM_COLUMNS + MAX_COLUMNS

_STAGING_DDL = """
CREATE TEMP TABLE IF NOT EXISTS ingest_stage_keys (camera_id text, minute_s bigint, event_key bigint);
CREATE TEMP TABLE IF NOT EXISTS ingest_stage_cam (
    camera_id text, minute_s bigint, n_events integer, covered_s double precision,
    people_s double precision, vehicles_s double precision, wet_s double precision,
    flooded_s double precision, saturated_n integer, people_max integer,
    vehicles_max integer, water_conf_max real);
CREATE TEMP TABLE IF NOT EXISTS ingest_stage_hex (
    h3 bigint, resolution smallint, bucket_s bigint, n_events integer,
    covered_s double precision, people_s double precision, vehicles_s double precision,
    wet_s double precision, flooded_s double precision, saturated_n integer,
    people_max integer, vehicles_max integer, water_conf_max real);
TRUNCATE ingest_stage_keys, ingest_stage_cam, ingest_stage_hex;
"""

#: What the live preview keeps of a camera's held minute (what readers add up).
LATEST_COLUMNS: tuple[str, ...] = ("covered_s", "people_s", "wet_s", "flooded_s", "saturated_n", "water_conf_max")

_LATEST_STAGE_DDL = """
CREATE TEMP TABLE IF NOT EXISTS ingest_stage_latest (
    camera_id text, minute_s bigint, covered_s double precision, people_s double precision,
    wet_s double precision, flooded_s double precision, saturated_n integer, water_conf_max real);
TRUNCATE ingest_stage_latest;
"""


def registry_version(conn: psycopg.Connection) -> int:
    """The camera registry's version; bumped by a trigger on every change to ``cameras``."""
    return int(conn.execute("SELECT version FROM camera_registry_version").fetchone()[0])


def load_camera_registry(conn: psycopg.Connection) -> pd.DataFrame:
    """Every camera with its owner, district, status and H3 cells (res 8, 9, 10; BIGINT)."""
    cur = conn.execute(
        "SELECT camera_id, owner_code, district_code, status, h3_r8, h3_r9, h3_r10 "
        "FROM cameras ORDER BY camera_id"
    )
    rows = cur.fetchall()
    frame = pd.DataFrame(
        rows, columns=["camera_id", "owner_code", "district_code", "status", "h3_r8", "h3_r9", "h3_r10"]
    )
    for col in ("h3_r8", "h3_r9", "h3_r10"):
        frame[col] = frame[col].astype(np.int64)
    return frame


def partitioned_tables(conn: psycopg.Connection) -> list[str]:
    """Every registered day-partitioned table (``hexops_partitioned_tables``)."""
    return [r[0] for r in conn.execute("SELECT table_name FROM hexops_partitioned_tables ORDER BY 1").fetchall()]


def ensure_partitions(conn: psycopg.Connection, table: str, days: Iterable[dt.date]) -> int:
    """Create the missing partitions of ``table`` holding ``days``; returns how many were made.

    Day-partitioned tables get one partition per day, monthly ones (their
    registry row says ``period = 'month'``) one per month, named after its
    first day.  The cheap existence check runs first; only when a partition
    is missing does the caller's transaction take a lock that serialises
    partition creation between concurrent ingest workers (two ``CREATE
    TABLE`` of the same partition would otherwise fail one of them).
    """
    wanted = sorted(set(days))
    if not wanted:
        return 0
    missing = conn.execute(
        "SELECT DISTINCT p FROM unnest(%s::date[]) AS d, "
        "LATERAL (SELECT CASE WHEN t.period = 'month' THEN date_trunc('month', d)::date ELSE d END AS p "
        "         FROM hexops_partitioned_tables t WHERE t.table_name = %s) s "
        "WHERE to_regclass(quote_ident(%s || '_p' || to_char(p, 'YYYYMMDD'))) IS NULL ORDER BY p",
        (wanted, table, table),
    ).fetchall()
    if not missing:
        return 0
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('hexops_ensure_day_partitions'))")
    created = 0
    for (day,) in missing:
        created += int(
            conn.execute("SELECT hexops_ensure_day_partitions(%s, %s, %s)", (table, day, day)).fetchone()[0]
        )
    return created


def prepare_staging(conn: psycopg.Connection) -> None:
    """Create (once per session) and empty the temporary staging tables.

    The merges sort a minute of a city's rows (1.7 M camera-minute pieces for
    a demo chunk of 5-minute windows at 60,000 cameras): sorted in memory
    rather than in files on disk, for the rest of the transaction.
    """
    conn.execute(_STAGING_DDL)
    conn.execute("SET LOCAL work_mem = '256MB'")


def claim_event_keys(conn: psycopg.Connection, keys: pd.DataFrame, max_rounds: int = 20) -> pd.DataFrame:
    """Record idempotency keys; return the ones that had been recorded before.

    Parameters
    ----------
    keys : DataFrame
        ``camera_id``, ``minute_s`` (int64 epoch seconds of the minute of the
        window start, UTC) and ``event_key`` (int64 hash of the event id);
        unique rows.

    Returns
    -------
    DataFrame with the same columns: the duplicates (already seen, so
    their events must not be counted).  Every other key is recorded.
    """
    copy_frame(conn, "ingest_stage_keys", ["camera_id", "minute_s", "event_key"], keys)
    n_groups = int(keys[["camera_id", "minute_s"]].drop_duplicates().shape[0])
    duplicates: list[tuple] = []
    for _ in range(max_rounds):
        # Optimistic merge: a row whose stored keys overlap the new ones is
        # skipped (under its row lock), and then the round is undone.
        merged = False
        with conn.transaction() as round_:
            written = conn.execute(
                "INSERT INTO ingest_event_keys AS t (camera_id, minute, keys) "
                "SELECT camera_id, to_timestamp(minute_s), array_agg(event_key) FROM ingest_stage_keys "
                "GROUP BY minute_s, camera_id ORDER BY minute_s, camera_id COLLATE \"C\" "
                "ON CONFLICT (minute, camera_id) DO UPDATE SET keys = t.keys || excluded.keys "
                "WHERE NOT (t.keys && excluded.keys)"
            ).rowcount
            merged = written == n_groups
            if not merged:
                raise psycopg.Rollback(round_)
        if merged:
            return pd.DataFrame(duplicates, columns=["camera_id", "minute_s", "event_key"])
        found = conn.execute(
            "DELETE FROM ingest_stage_keys s USING ingest_event_keys t "
            "WHERE t.camera_id = s.camera_id AND t.minute = to_timestamp(s.minute_s) "
            "AND s.event_key = ANY (t.keys) "
            "RETURNING s.camera_id, s.minute_s, s.event_key"
        ).fetchall()
        duplicates.extend(found)
        n_groups = int(conn.execute(
            "SELECT count(*) FROM (SELECT DISTINCT camera_id, minute_s FROM ingest_stage_keys) g"
        ).fetchone()[0])
        if n_groups == 0:
            return pd.DataFrame(duplicates, columns=["camera_id", "minute_s", "event_key"])
    raise psycopg.errors.SerializationFailure(
        f"claim_event_keys: keys still contended after {max_rounds} rounds; retry the batch"
    )


def _merge_set(columns: Iterable[str]) -> sql.Composed:
    parts = []
    for col in columns:
        ident = sql.Identifier(col)
        if col in MAX_COLUMNS:
            parts.append(sql.SQL("{0} = greatest(t.{0}, excluded.{0})").format(ident))
        else:
            parts.append(sql.SQL("{0} = t.{0} + excluded.{0}").format(ident))
    return sql.SQL(", ").join(parts)


def upsert_camera_minute(conn: psycopg.Connection, frame: pd.DataFrame) -> int:
    """Add per camera-minute sums into ``detections_camera_minute``.

    ``frame`` has ``camera_id``, ``minute_s`` (epoch seconds, UTC) and
    :data:`AGG_COLUMNS`; one row per (camera, minute).
    """
    copy_frame(conn, "ingest_stage_cam", ["camera_id", "minute_s", *AGG_COLUMNS], frame)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in AGG_COLUMNS)
    statement = sql.SQL(
        "INSERT INTO detections_camera_minute AS t (camera_id, minute, {cols}) "
        "SELECT camera_id, to_timestamp(minute_s), {cols} FROM ingest_stage_cam "
        "ORDER BY minute_s, camera_id COLLATE \"C\" "
        "ON CONFLICT (minute, camera_id) DO UPDATE SET {merge}"
    ).format(cols=cols, merge=_merge_set(AGG_COLUMNS))
    return conn.execute(statement).rowcount


def upsert_hex_5min(conn: psycopg.Connection, frame: pd.DataFrame) -> int:
    """Add per hex-5-minute sums into ``detections_hex_5min`` (res 8, 9, 10).

    ``frame`` has ``h3`` (BIGINT cell), ``resolution``, ``bucket_s`` (epoch
    seconds of the 5-minute bucket start, UTC) and :data:`AGG_COLUMNS`.
    """
    copy_frame(conn, "ingest_stage_hex", ["h3", "resolution", "bucket_s", *AGG_COLUMNS], frame)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in AGG_COLUMNS)
    statement = sql.SQL(
        "INSERT INTO detections_hex_5min AS t (h3, resolution, bucket, {cols}) "
        "SELECT h3, resolution, to_timestamp(bucket_s), {cols} FROM ingest_stage_hex "
        "ORDER BY bucket_s, h3 "
        "ON CONFLICT (bucket, h3) DO UPDATE SET {merge}"
    ).format(cols=cols, merge=_merge_set(AGG_COLUMNS))
    return conn.execute(statement).rowcount


def extend_extent(conn: psycopg.Connection, first: dt.datetime | None, last: dt.datetime | None) -> None:
    """Widen ``detections_extent`` to minutes ``first`` .. ``last`` (starts of minutes, UTC).

    Only a write that extends it takes the row's lock, so concurrent writers
    meet here about once a minute; call it last in the transaction.
    """
    conn.execute(
        "UPDATE detections_extent SET first_minute = least(first_minute, %(first)s), "
        "last_minute = greatest(last_minute, %(last)s) "
        "WHERE first_minute IS NULL OR last_minute IS NULL OR first_minute > %(first)s OR last_minute < %(last)s",
        {"first": first if first is not None else last, "last": last if last is not None else first},
    )


def extent(conn: psycopg.Connection) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Start of the first and of the latest minute holding camera detections (UTC), or (None, None)."""
    row = conn.execute("SELECT first_minute, last_minute FROM detections_extent").fetchone()
    return (row[0], row[1]) if row else (None, None)


def trim_extent(conn: psycopg.Connection, earliest: dt.datetime | None) -> None:
    """After retention: no data remains before ``earliest`` (None: none remains at all)."""
    if earliest is None:
        conn.execute("UPDATE detections_extent SET first_minute = NULL, last_minute = NULL")
    else:
        conn.execute(
            "UPDATE detections_extent SET "
            "first_minute = CASE WHEN last_minute < %(t)s THEN NULL ELSE greatest(first_minute, %(t)s) END, "
            "last_minute = CASE WHEN last_minute < %(t)s THEN NULL ELSE last_minute END", {"t": earliest})


def upsert_camera_latest(conn: psycopg.Connection, frame: pd.DataFrame) -> int:
    """Set cameras' latest held minute in ``detections_camera_latest`` (replacing what was there).

    ``frame`` has ``camera_id``, ``minute_s`` (epoch seconds, UTC) and
    :data:`LATEST_COLUMNS`, one row per camera: the sums of the events a
    worker holds for that minute.  A row whose (camera, minute) has been
    committed to ``detections_camera_minute`` is ignored by readers, so
    nothing is counted twice.
    """
    if len(frame) == 0:
        return 0
    conn.execute(_LATEST_STAGE_DDL)
    copy_frame(conn, "ingest_stage_latest", ["camera_id", "minute_s", *LATEST_COLUMNS], frame)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in LATEST_COLUMNS)
    assign = sql.SQL(", ").join(sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c)) for c in LATEST_COLUMNS)
    statement = sql.SQL(
        "INSERT INTO detections_camera_latest AS t (camera_id, minute, {cols}) "
        "SELECT camera_id, to_timestamp(minute_s), {cols} FROM ingest_stage_latest "
        "ORDER BY camera_id COLLATE \"C\" "
        "ON CONFLICT (camera_id) DO UPDATE SET minute = excluded.minute, {assign} "
        "WHERE t.minute <= excluded.minute"
    ).format(cols=cols, assign=assign)
    return conn.execute(statement).rowcount


def quarantine(
    conn: psycopg.Connection,
    *,
    received_at: dt.datetime,
    source: str,
    rows: Iterable[tuple[int | None, str | None, str | None, str, object]],
) -> int:
    """Keep rejected events: (row_number, event_id, camera_id, reason, payload) each."""
    n = 0
    with conn.cursor().copy(
        "COPY ingest_quarantine (received_at, source, row_number, event_id, camera_id, reason, payload) "
        "FROM STDIN"
    ) as copy:
        for row_number, event_id, camera_id, reason, payload in rows:
            copy.write_row((received_at, source, row_number, event_id, camera_id, reason, Jsonb(payload)))
            n += 1
    return n


def quarantined(conn: psycopg.Connection, limit: int = 100) -> list[dict]:
    """The most recent quarantined events, newest first."""
    cur = conn.execute(
        "SELECT received_at, source, row_number, event_id, camera_id, reason, payload "
        "FROM ingest_quarantine ORDER BY received_at DESC, row_number LIMIT %s",
        (limit,),
    )
    names = [d.name for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]
