"""Retention of the detection aggregates and ingest bookkeeping, by whole day partitions."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

import psycopg

from hexops.geodata import audit, ingest_retention
from hexops.geodata.detections import INGEST_TABLES
from hexops.ingest.errors import IngestError


def check_policy(days: dict[str, int]) -> None:
    """Rollups must outlive camera-minute rows (the heatmap history reads them)."""
    minute = days.get("detections_camera_minute")
    rollup = days.get("detections_hex_5min")
    if minute is not None and rollup is not None and rollup < minute:
        raise IngestError(
            f"keep_days: detections_hex_5min ({rollup}) must be at least detections_camera_minute ({minute})"
        )


def run_retention(
    conn: psycopg.Connection,
    *,
    now: dt.datetime | None = None,
    tables: Iterable[str] = INGEST_TABLES,
    actor: str = "system:ingest-retention",
) -> dict[str, list[dt.date]]:
    """Drop every day partition wholly older than its table's keep_days.

    Parameters
    ----------
    now : datetime, optional
        Reference time (UTC); default now.
    tables : iterable of str
        Which registered tables to sweep (default: ingestion's own).

    Returns
    -------
    dict
        Table -> days dropped.  One audit entry (``retention.run``) per
        table that lost partitions, in the same transaction.
    """
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    dropped: dict[str, list[dt.date]] = {}
    with conn.transaction():
        days = ingest_retention.keep_days(conn)
        check_policy(days)
        for table in tables:
            if table not in days:
                raise IngestError(f"table: {table!r} is not a registered day-partitioned table")
            # Day d holds [d, d+1): it may go once d+1 <= now - keep_days.
            cutoff = (now - dt.timedelta(days=days[table])).date()
            gone = []
            for name, day in ingest_retention.day_partitions(conn, table):
                if day < cutoff:
                    ingest_retention.drop_partition(conn, name)
                    gone.append(day)
            dropped[table] = gone
            if gone:
                audit.record(conn, actor=actor, action="retention.run", target=table,
                             reason=f"older than {days[table]} days",
                             details={"dropped_days": [d.isoformat() for d in gone]})
    return dropped
