"""Audit entries as CSV (admin page download and ``hexops audit export``)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Iterator

from hexops.city import HONG_KONG
from hexops.geodata import audit


def csv_lines(
    uow, *, actor: str | None = None, action_prefix: str | None = None,
    since: datetime | None = None, until: datetime | None = None, exported_by: str | None = None,
) -> Iterator[str]:
    """CSV text, header first, one entry per line, newest first.

    ``at`` is ISO-8601 in the city's time with its offset (``2026-10-01T21:00:00+08:00``:
    what the people reading it use, and still exact); ``details`` is JSON in UTF-8
    (Chinese as itself, not backslash-u escapes).

    The unit of work stays open while the lines are consumed (a server-side
    cursor streams them).  With ``exported_by``, the export itself is audited
    (``audit.export``) and committed before the first line is produced.
    """
    with uow:
        if exported_by is not None:
            uow.audit.record(actor=exported_by, action="audit.export", details={
                "actor": actor, "action_prefix": action_prefix, "since": since.isoformat() if since else None,
                "until": until.isoformat() if until else None})
            uow.commit()
        yield from _csv(uow.conn, actor, action_prefix, since, until)


def _csv(conn, actor, action_prefix, since, until) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(audit.COLUMNS)
    yield flush()
    for row in audit.search(conn, actor=actor, action_prefix=action_prefix, since=since, until=until,
                            limit=None):
        writer.writerow([
            row["audit_id"], row["chain_seq"], row["at"].astimezone(HONG_KONG.tz).isoformat(), row["actor"],
            row["action"], row["target"] or "", row["reason"] or "",
            json.dumps(row["details"], sort_keys=True, ensure_ascii=False), row["row_hash"],
        ])
        yield flush()
