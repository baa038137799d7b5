"""The one validation and aggregation core that every ingest adapter calls.

``ingest_events`` takes a DataFrame of flat events (schema
``hexops.detections/1``), validates it in bulk, drops events already seen
(idempotency by event id), adds the rest to the camera-minute and
hex-5-minute aggregates, and quarantines the rejects -- all in one
transaction, so a failure leaves nothing half-written and a retry of the
same batch is safe.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import orjson
import pandas as pd
import psycopg

from geodata import detections
from ingest import aggregate
from ingest.registry import CameraRegistry, camera_registry
from ingest.validate import IngestPolicy, validate

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"


@dataclass
class IngestReport:
    """What happened to one batch.

    Attributes
    ----------
    source : str
        Where the batch came from (``file:/path``, ``http:<user>``, ``nats:<subject>``).
    received, accepted, duplicates, rejected : int
        Event counts; ``accepted + duplicates + rejected == received``.
    outcomes : numpy.ndarray of str
        Per input row: ``accepted``, ``duplicate`` or ``rejected``.
    reasons : dict
        Input row position (0-based) -> reason text, each reason starting
        with the field it is about (``people: must be >= 0, got -3``).
    camera_minute_rows, hex_rows : int
        Aggregate rows inserted or updated.
    """

    source: str
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    outcomes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    reasons: dict[int, str] = field(default_factory=dict)
    camera_minute_rows: int = 0
    hex_rows: int = 0

    def reason_counts(self) -> Counter:
        """How many rejections each field had (``{"people": 3, "camera_id": 1}``)."""
        counts: Counter = Counter()
        for text in self.reasons.values():
            for part in text.split("; "):
                counts[part.split(":", 1)[0]] += 1
        return counts

    def merge(self, other: "IngestReport", row_offset: int | None = None) -> None:
        """Add ``other``'s counts (a file ingested chunk by chunk, a worker's batches).

        ``other``'s reasons are re-keyed by ``row_offset`` (default: the rows
        received so far, so positions continue).
        """
        offset = self.received if row_offset is None else row_offset
        self.received += other.received
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.camera_minute_rows += other.camera_minute_rows
        self.hex_rows += other.hex_rows
        self.reasons.update({offset + k: v for k, v in other.reasons.items()})
        self.outcomes = np.concatenate([self.outcomes, other.outcomes])


def event_keys(event_ids: np.ndarray) -> np.ndarray:
    """64-bit idempotency keys of event ids (int64).

    pandas' vectorised SipHash-2-4 with its fixed default key: stable across
    processes and runs (a test pins a known value, so a library change that
    altered it would be caught before redeliveries could count twice).
    """
    if len(event_ids) == 0:
        return np.zeros(0, dtype=np.int64)
    return pd.util.hash_array(np.asarray(event_ids, dtype=object), categorize=False).view(np.int64)


def _json_safe(value: object) -> object:
    return orjson.loads(orjson.dumps(value, default=str, option=orjson.OPT_SERIALIZE_NUMPY
                                     | orjson.OPT_NON_STR_KEYS))


def _payload(frame: pd.DataFrame, pos: int) -> object:
    if "_raw" in frame.columns:
        return _json_safe(frame["_raw"].iat[pos])
    row = {k: v for k, v in frame.iloc[pos].items() if not str(k).startswith("_")}
    return _json_safe({k: (None if _is_missing(v) else v) for k, v in row.items()})


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text_or_none(frame: pd.DataFrame, column: str, pos: int) -> str | None:
    if column not in frame.columns:
        return None
    value = frame[column].iat[pos]
    return value[:200] if isinstance(value, str) else None


def _span_days(valid: pd.DataFrame) -> list[dt.date]:
    """UTC days from the earliest window start to the latest window end."""
    if len(valid) == 0:
        return []
    day_ns = 86400 * aggregate.NS
    first = int(valid["start_ns"].min()) // day_ns
    last = (int(valid["end_ns"].max()) - 1) // day_ns
    return [dt.date(1970, 1, 1) + dt.timedelta(days=d) for d in range(first, last + 1)]


def ingest_events(
    conn: psycopg.Connection,
    events: pd.DataFrame,
    *,
    source: str,
    now: dt.datetime | None = None,
    policy: IngestPolicy | None = None,
    registry: CameraRegistry | None = None,
    first_row: int = 1,
    owner: str | None = None,
) -> IngestReport:
    """Validate, de-duplicate and aggregate a batch of detection events.

    Parameters
    ----------
    conn : psycopg.Connection
        Non-autocommit connection.  The work is atomic: its own transaction
        (committed on return), or a savepoint when the caller has one open.
    events : DataFrame
        Flat events, columns as in :data:`ingest.schema.COLUMNS`; times are
        ISO-8601 strings with an offset or timezone-aware datetimes.
    source : str
        Recorded with quarantined events.
    now : datetime, optional
        Reference time for the future/too-old checks (UTC; default: now).
    policy : IngestPolicy, optional
        Limits; the late-event window lives here.
    registry : CameraRegistry, optional
        Cameras to validate against; default: the database's, cached.
    first_row : int
        Row number (as in the source, 1-based) of ``events``' first row,
        recorded with quarantined events.
    owner : str, optional
        Department code of a device's token: events naming a camera of
        another department are rejected.

    Returns
    -------
    IngestReport
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    policy = policy or IngestPolicy()
    events = events.reset_index(drop=True)
    n = len(events)
    report = IngestReport(source=source, received=n, outcomes=np.full(n, ACCEPTED, dtype=object))
    with conn.transaction():
        if registry is None:
            registry = camera_registry(conn)
        checked = validate(events, registry, now, policy, owner=owner)
        valid = checked.valid
        for pos, reasons in checked.reasons.items():
            report.outcomes[pos] = REJECTED
            report.reasons[pos] = "; ".join(reasons)

        keys = pd.DataFrame({
            "camera_id": registry.ids.to_numpy()[valid["camera_idx"].to_numpy()],
            "minute_s": (valid["start_ns"].to_numpy() // (60 * aggregate.NS)) * 60,
            "event_key": event_keys(valid["event_id"].to_numpy()),
        })
        first_seen = ~keys.duplicated().to_numpy()
        report.outcomes[valid["pos"].to_numpy()[~first_seen]] = DUPLICATE
        valid, keys = valid[first_seen], keys[first_seen]

        # Every partition is made before the first insert, so a worker never
        # waits for a parent-table lock while holding row locks of its own.
        days = _span_days(valid)
        for table in ("ingest_event_keys", "detections_camera_minute", "detections_hex_5min"):
            detections.ensure_partitions(conn, table, days)
        if report.reasons:
            detections.ensure_partitions(conn, "ingest_quarantine", [now.astimezone(dt.timezone.utc).date()])
        detections.prepare_staging(conn)
        if len(keys):
            seen = detections.claim_event_keys(conn, keys)
            if len(seen):
                is_seen = (keys.merge(seen, how="left", on=["camera_id", "minute_s", "event_key"],
                                      indicator=True)["_merge"] == "both").to_numpy()
                report.outcomes[valid["pos"].to_numpy()[is_seen]] = DUPLICATE
                valid = valid[~is_seen]
        if len(valid):
            minute = aggregate.camera_minute(valid, registry.ids)
            report.camera_minute_rows = detections.upsert_camera_minute(conn, minute)
            hexes = aggregate.hex_5min(valid, registry.cells)
            report.hex_rows = detections.upsert_hex_5min(conn, hexes)
        if report.reasons:
            detections.quarantine(
                conn, received_at=now, source=source,
                rows=((first_row + pos, _text_or_none(events, "event_id", pos),
                       _text_or_none(events, "camera_id", pos), reason, _payload(events, pos))
                      for pos, reason in report.reasons.items()),
            )
    report.accepted = int((report.outcomes == ACCEPTED).sum())
    report.duplicates = int((report.outcomes == DUPLICATE).sum())
    report.rejected = int((report.outcomes == REJECTED).sum())
    return report
