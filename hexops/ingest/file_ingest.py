"""Ingest one file, chunk by chunk, each chunk one transaction, with a progress bar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg
from tqdm import tqdm

from hexops.geodata import ingest_retention
from hexops.ingest import files
from hexops.ingest.core import IngestReport, ingest_pipelined
from hexops.ingest.errors import IngestError
from hexops.ingest.validate import IngestPolicy


def ingest_file(
    conn: psycopg.Connection,
    path: Path,
    *,
    fmt: str | None = None,
    chunk_rows: int = 200_000,
    max_age_s: float = IngestPolicy.max_late_s,
    now: dt.datetime | None = None,
    progress: bool = True,
) -> IngestReport:
    """Ingest a JSON Lines, CSV or Parquet file of flat events.

    Each chunk commits on its own (the next one is parsed and validated
    while the database writes it): an interrupted backfill keeps the chunks
    already done, and running it again skips them as duplicates (the
    idempotency keys), so a re-run completes it exactly.

    Parameters
    ----------
    max_age_s : float
        Late-event window in seconds.  It may not exceed the retention of
        the idempotency keys, or a re-run could count old events twice.

    Returns
    -------
    IngestReport
        Totals; ``reasons`` are keyed by the (1-based) row number in the file.
    """
    path = Path(path)
    fmt = files.detect_format(path, fmt)
    key_days = ingest_retention.keep_days(conn).get("ingest_event_keys", 1)
    conn.commit()
    if max_age_s > (key_days - 1) * 86400:
        raise IngestError(
            f"--max-age: {max_age_s / 86400:g} days is beyond the idempotency keys' retention "
            f"({key_days} days, less one for safety); raise ingest_event_keys' keep_days first"
        )
    policy = IngestPolicy(max_late_s=max_age_s)
    now = now or dt.datetime.now(dt.timezone.utc)
    total = IngestReport(source=f"file:{path}")
    total_units, unit = files.total_for_progress(path, fmt) if path.exists() else (0, "B")
    with tqdm(total=total_units, unit=unit, unit_scale=True, desc=path.name, disable=not progress) as bar:
        chunks = files.read_chunks(path, fmt, chunk_rows, bar.update)
        for report in ingest_pipelined(conn, chunks, source=f"file:{path}", now=now, policy=policy):
            total.merge(report, row_offset=report.first_row)
    return total
