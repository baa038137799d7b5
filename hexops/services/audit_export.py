"""Audit entries as CSV (admin page download and ``hexops audit export``)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Iterator

import psycopg

from hexops.geodata import audit


def csv_lines(
    conn: psycopg.Connection, *, actor: str | None = None, action_prefix: str | None = None,
    since: datetime | None = None, until: datetime | None = None,
) -> Iterator[str]:
    """CSV text, header first, one entry per line, newest first (``at`` in UTC ISO-8601)."""
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
            row["audit_id"], row["chain_seq"], row["at"].isoformat(), row["actor"], row["action"],
            row["target"] or "", row["reason"] or "", json.dumps(row["details"], sort_keys=True), row["row_hash"],
        ])
        yield flush()
