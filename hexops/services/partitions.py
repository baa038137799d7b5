"""Partitions and storage tiers of the time-series tables: made ahead, rolled up, dropped after retention.

Run by the worker's ``partitions.maintain`` job on the product clock, so a
demo replaying October keeps October's partitions, and a deployment always
has tomorrow's partition before the first event of the day arrives.

Tiers (see docs/scaling.md): camera-minute rows are kept a week, their
idempotency keys two days, hex 5-minute rollups 90 days and hex hourly
rollups two years.  Each run rolls up the hours that are past the late-event
window (an hour is then complete, so it is written once), at most
:data:`MAX_HOURS_PER_RUN` of them, so a run stays short and the next one
carries on.
"""

from __future__ import annotations

import datetime as dt

from hexops.geodata.uow import UnitOfWork
from hexops.ingest.retention import run_retention
from hexops.ingest.validate import IngestPolicy

#: Days ahead of now (UTC) whose partitions exist before any event needs them.
DAYS_AHEAD = 2
#: Hours rolled up per run at most (about 2 s each at 60,000 cameras).
MAX_HOURS_PER_RUN = 24
HOUR = dt.timedelta(hours=1)


def _hour(t: dt.datetime) -> dt.datetime:
    return t.astimezone(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)


def roll_up(uow: UnitOfWork, now: dt.datetime, *, max_hours: int = MAX_HOURS_PER_RUN,
            settle: dt.timedelta | None = None) -> int:
    """Roll the 5-minute hex rollups up into hours, from the cursor to the settled past.

    Parameters
    ----------
    now : datetime
        The product clock (UTC).
    settle : timedelta, optional
        How long after an hour ends it is rolled up: the late-event window
        plus an hour by default, so late events have all arrived.

    Returns
    -------
    int
        Hours rolled up (each committed with the cursor).
    """
    settle = settle if settle is not None else dt.timedelta(seconds=IngestPolicy().max_late_s) + HOUR
    until = _hour(now - settle)
    done = 0
    with uow:
        cursor = uow.storage.rollup_done_until()
        if cursor is None:
            first = uow.storage.first_hex_bucket()
            if first is None:
                return 0
            cursor = _hour(first)
        while cursor < until and done < max_hours:
            # A backfill or a demo replaying October rolls up months no job made a partition for.
            uow.detections.ensure_partitions("detections_hex_hour", [cursor.date()])
            uow.storage.roll_up_hours(cursor, cursor + HOUR)
            cursor += HOUR
            uow.storage.set_rollup_done_until(cursor)
            uow.commit()
            done += 1
    return done


def maintain(uow: UnitOfWork, now: dt.datetime) -> dict[str, int]:
    """Create the partitions of today and the next :data:`DAYS_AHEAD` days; roll up hours; drop expired ones.

    Returns
    -------
    dict
        ``{"created": n, "rolled_up_hours": h, "dropped": m}`` (drops are
        audited as ``retention.run`` per table).
    """
    today = now.astimezone(dt.timezone.utc).date()
    days = [today + dt.timedelta(days=k) for k in range(DAYS_AHEAD + 1)]
    with uow:
        tables = sorted(uow.detections.partitioned_tables())
        created = sum(uow.detections.ensure_partitions(table, days) for table in tables)
        uow.commit()
    hours = roll_up(uow, now)
    with uow:
        dropped = run_retention(uow.conn, now=now, tables=tables, actor="system:partitions")
        uow.commit()
    return {"created": created, "rolled_up_hours": hours, "dropped": sum(len(d) for d in dropped.values())}


def sizes(uow: UnitOfWork) -> dict:
    """What the time-series tables hold: one row per tier, and the small state tables.

    Returns
    -------
    dict
        ``{"tables": [...], "state": {...}, "total_bytes": n}`` (see
        :func:`hexops.geodata.storage.partition_sizes`).
    """
    with uow:
        tables = uow.storage.partition_sizes()
        state = uow.storage.state_table_sizes()
    return {"tables": tables, "state": state, "total_bytes": sum(t["bytes"] for t in tables)}
