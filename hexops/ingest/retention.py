"""Retention of the detection aggregates and ingest bookkeeping, by whole day partitions."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

import psycopg

from hexops.geodata import audit, detections, ingest_retention
from hexops.geodata.detections import INGEST_TABLES
from hexops.ingest.errors import IngestError


def check_policy(days: dict[str, int]) -> None:
    """Each tier must outlive the finer one it is read in place of (the heatmap history reads them)."""
    for finer, coarser in (("detections_camera_minute", "detections_hex_5min"),
                           ("detections_hex_5min", "detections_hex_hour")):
        short, long_ = days.get(finer), days.get(coarser)
        if short is not None and long_ is not None and long_ < short:
            raise IngestError(f"keep_days: {coarser} ({long_}) must be at least {finer} ({short})")


def _partition_end(first_day: dt.date, period: str) -> dt.date:
    """The day after a partition's last day (it holds ``[first_day, end)``)."""
    if period == "month":
        return (first_day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first_day + dt.timedelta(days=1)


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
        period = ingest_retention.periods(conn)
        check_policy(days)
        for table in tables:
            if table not in days:
                raise IngestError(f"table: {table!r} is not a registered day-partitioned table")
            # A partition holds [first day, end): it may go once end <= now - keep_days.
            cutoff = (now - dt.timedelta(days=days[table])).date()
            gone = []
            for name, day in ingest_retention.day_partitions(conn, table):
                if _partition_end(day, period.get(table, "day")) <= cutoff:
                    ingest_retention.drop_partition(conn, name)
                    gone.append(day)
            dropped[table] = gone
            if gone and table == "detections_camera_minute":
                remaining = ingest_retention.day_partitions(conn, table)
                earliest = (dt.datetime.combine(remaining[0][1], dt.time(), dt.timezone.utc) if remaining
                            else None)
                detections.trim_extent(conn, earliest)
            if gone:
                audit.record(conn, actor=actor, action="retention.run", target=table,
                             reason=f"older than {days[table]} days",
                             details={"dropped_days": [d.isoformat() for d in gone]})
    return dropped
