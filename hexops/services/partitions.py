"""Day partitions of the time-series tables: made ahead of the data, dropped after their retention.

Run by the worker's ``partitions.maintain`` job on the product clock, so a
demo replaying October keeps October's partitions, and a deployment always
has tomorrow's partition before the first event of the day arrives.
"""

from __future__ import annotations

import datetime as dt

from hexops.geodata.uow import UnitOfWork
from hexops.ingest.retention import run_retention

#: Days ahead of now (UTC) whose partitions exist before any event needs them.
DAYS_AHEAD = 2


def maintain(uow: UnitOfWork, now: dt.datetime) -> dict[str, int]:
    """Create the partitions of today and the next :data:`DAYS_AHEAD` days; drop expired ones.

    Returns
    -------
    dict
        ``{"created": n, "dropped": m}`` partitions (drops are audited as
        ``retention.run`` per table).
    """
    today = now.astimezone(dt.timezone.utc).date()
    days = [today + dt.timedelta(days=k) for k in range(DAYS_AHEAD + 1)]
    with uow:
        tables = sorted(uow.detections.partitioned_tables())
        created = sum(uow.detections.ensure_partitions(table, days) for table in tables)
        dropped = run_retention(uow.conn, now=now, tables=tables, actor="system:partitions")
        uow.commit()
    return {"created": created, "dropped": sum(len(d) for d in dropped.values())}
