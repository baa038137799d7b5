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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import numpy as np
import orjson
import pandas as pd
import psycopg

from hexops.geodata import detections
from hexops.ingest import aggregate
from hexops.ingest.known_cameras import CameraRegistry, camera_registry
from hexops.ingest.report import ACCEPTED, DUPLICATE, REJECTED, IngestReport  # noqa: F401 (re-exported)
from hexops.ingest.validate import EventColumns, IngestPolicy, validate


def event_keys(event_ids: np.ndarray) -> np.ndarray:
    """64-bit idempotency keys of event ids (int64).

    pandas' vectorised SipHash-2-4 with its fixed default key: stable across
    processes and runs (a test pins a known value, so a library change that
    altered it would be caught before redeliveries could count twice).
    """
    if len(event_ids) == 0:
        return np.zeros(0, dtype=np.int64)
    return pd.util.hash_array(np.asarray(event_ids, dtype=object), categorize=False).view(np.int64)


def _without_nul(value: object) -> object:
    """``value`` with every U+0000 written as the visible text ``\\u0000``.

    PostgreSQL's text and jsonb cannot store U+0000; a rejected event that
    carries one is still kept in quarantine, with the NULs made visible.
    """
    if isinstance(value, str):
        return value.replace("\x00", "\\u0000")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _json_safe(value: object) -> object:
    return _without_nul(orjson.loads(orjson.dumps(value, default=str, option=orjson.OPT_SERIALIZE_NUMPY
                                                  | orjson.OPT_NON_STR_KEYS)))


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
    return _without_nul(value[:200]) if isinstance(value, str) else None


def _first_occurrences(*columns: np.ndarray) -> np.ndarray:
    """True for the first row of each distinct combination of ``columns`` (stable sort, exact)."""
    n = len(columns[0])
    keep = np.ones(n, dtype=bool)
    if n < 2:
        return keep
    order = np.lexsort(columns[::-1])
    same = np.ones(n - 1, dtype=bool)
    for column in columns:
        ordered = column[order]
        same &= ordered[1:] == ordered[:-1]
    keep[order[1:][same]] = False
    return keep


def _span_days(valid: EventColumns) -> list[dt.date]:
    """UTC days from the earliest window start to the latest window end."""
    if len(valid) == 0:
        return []
    day_ns = 86400 * aggregate.NS
    first = int(valid["start_ns"].min()) // day_ns
    last = (int(valid["end_ns"].max()) - 1) // day_ns
    return [dt.date(1970, 1, 1) + dt.timedelta(days=d) for d in range(first, last + 1)]


@dataclass
class Prepared:
    """A batch validated and aggregated in memory, not yet written (see :func:`prepare_events`).

    Attributes
    ----------
    report : IngestReport
        Outcomes so far (rejections and in-batch duplicates are final).
    valid : EventColumns
        The events still to be counted: the validated columns without the
        event id, plus ``key`` (its 64-bit idempotency hash).
    registry : CameraRegistry
        What ``valid["camera_idx"]`` indexes.
    now : datetime
        The reference time of validation (UTC).
    quarantine_rows : list of tuple
        ``(row_number, event_id, camera_id, reason, payload)`` of each
        rejected event, ready for :func:`hexops.geodata.detections.quarantine`.
    events : DataFrame or None
        The input, kept only where a registry change may ask for the batch to
        be prepared again (:func:`ingest_pipelined`); a worker holding a
        minute of batches drops it.
    """

    report: IngestReport
    valid: EventColumns
    registry: CameraRegistry
    now: dt.datetime
    quarantine_rows: list[tuple]
    events: pd.DataFrame | None = None
    minute: pd.DataFrame | None = None
    hexes: pd.DataFrame | None = None

    def aggregate(self) -> None:
        """(Re)compute the aggregates of the events still counted."""
        if len(self.valid):
            self.minute = aggregate.camera_minute(self.valid, self.registry.ids)
            self.hexes = aggregate.hex_5min(self.valid, self.registry.cells)
        else:
            self.minute = self.hexes = None

    def keys(self) -> pd.DataFrame:
        """Idempotency keys of the events still counted: ``camera_id``, ``minute_s``, ``event_key``."""
        valid = self.valid
        return pd.DataFrame({"camera_id": self.registry.ids.to_numpy()[valid["camera_idx"]],
                             "minute_s": (valid["start_ns"] // (60 * aggregate.NS)) * 60,
                             "event_key": valid["key"]})

    def split(self, labels: np.ndarray) -> dict[int, "Prepared"]:
        """The batch cut into parts by one label per input row (a worker cuts its fetch by minute).

        Each part keeps its rows' outcomes, reasons, valid events and
        quarantine rows, with row positions renumbered within the part.
        """
        labels = np.asarray(labels)
        out: dict[int, Prepared] = {}
        valid_pos = self.valid["pos"]
        first_row = self.report.first_row
        for label in np.unique(labels):
            rows = np.flatnonzero(labels == label)
            renumber = np.full(len(labels), -1, dtype=np.int64)
            renumber[rows] = np.arange(len(rows))
            report = IngestReport(source=self.report.source, received=len(rows),
                                  outcomes=self.report.outcomes[rows].copy(), first_row=first_row)
            report.reasons = {int(renumber[p]): r for p, r in self.report.reasons.items() if labels[p] == label}
            valid = self.valid.take(labels[valid_pos] == label)
            valid.columns["pos"] = renumber[valid["pos"]]
            quarantine = [q for q in self.quarantine_rows
                          if q[0] is not None and labels[q[0] - first_row] == label]
            out[int(label)] = Prepared(report, valid, self.registry, self.now, quarantine)
        return out

    def empty(self) -> "Prepared":
        """A part of no rows (for batches without events), with this one's registry and time."""
        return Prepared(IngestReport(source=self.report.source), self.valid.take(np.zeros(len(self.valid), bool)),
                        self.registry, self.now, [])

    def minute_span(self) -> tuple[dt.datetime, dt.datetime] | None:
        """Start of the first and of the last minute the counted events touch (UTC), or None."""
        if len(self.valid) == 0:
            return None
        minute_ns = 60 * aggregate.NS
        first = int(self.valid["start_ns"].min()) // minute_ns * 60
        last = (int(self.valid["end_ns"].max()) - 1) // minute_ns * 60
        return (dt.datetime.fromtimestamp(first, dt.timezone.utc), dt.datetime.fromtimestamp(last, dt.timezone.utc))


def prepare_events(
    events: pd.DataFrame,
    registry: CameraRegistry,
    *,
    source: str,
    now: dt.datetime | None = None,
    policy: IngestPolicy | None = None,
    first_row: int = 1,
    owner: str | np.ndarray | None = None,
    aggregated: bool = True,
) -> Prepared:
    """The CPU half of ingestion: validate, key and aggregate (no database).

    Aggregates assume every valid event is new; :func:`commit_prepared`
    recomputes them in the rare case that some turn out to be duplicates.
    Parameters are those of :func:`ingest_events`; ``aggregated=False``
    leaves the aggregates to :func:`merge_prepared` (a worker holding the
    batch merges it with others before writing).
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    policy = policy or IngestPolicy()
    if not (isinstance(events.index, pd.RangeIndex) and events.index.start == 0 and events.index.step == 1):
        events = events.reset_index(drop=True)
    n = len(events)
    report = IngestReport(source=source, received=n, outcomes=np.full(n, ACCEPTED, dtype=object),
                          first_row=first_row)
    checked = validate(events, registry, now, policy, owner=owner)
    valid = checked.valid
    for pos, reasons in checked.reasons.items():
        report.outcomes[pos] = REJECTED
        report.reasons[pos] = "; ".join(reasons)
    minute_s = (valid["start_ns"] // (60 * aggregate.NS)) * 60
    key = event_keys(valid["event_id"])
    first_seen = _first_occurrences(valid["camera_idx"], minute_s, key)
    report.outcomes[valid["pos"][~first_seen]] = DUPLICATE
    columns = {k: v[first_seen] for k, v in valid.columns.items() if k != "event_id"}
    columns["key"] = key[first_seen]
    rows = [(first_row + pos, _text_or_none(events, "event_id", pos), _text_or_none(events, "camera_id", pos),
             reason, _payload(events, pos)) for pos, reason in report.reasons.items()]
    prepared = Prepared(report, EventColumns(columns), registry, now, rows, events=events)
    if aggregated:
        prepared.aggregate()
    return prepared


def merge_prepared(parts: list[Prepared], registry: CameraRegistry, *, source: str) -> Prepared:
    """Several prepared batches as one, their cameras re-indexed to ``registry`` (usually the newest).

    A worker combines the batches of a minute this way and writes them in one
    transaction.  An event repeated across the batches counts once; an event
    whose camera left the registry while it was held is rejected.
    """
    offsets = np.cumsum([0] + [p.report.received for p in parts])
    report = IngestReport(source=source, received=int(offsets[-1]),
                          outcomes=np.concatenate([p.report.outcomes for p in parts]) if parts
                          else np.zeros(0, dtype=object))
    columns: dict[str, list[np.ndarray]] = {}
    rows: list[tuple] = []
    for part, offset in zip(parts, offsets[:-1]):
        report.reasons.update({int(offset) + k: v for k, v in part.report.reasons.items()})
        rows.extend(part.quarantine_rows)
        valid = part.valid
        idx = valid["camera_idx"]
        if part.registry is not registry and len(idx):
            idx = registry.lookup(part.registry.ids.to_numpy()[idx])
        for name, values in valid.columns.items():
            columns.setdefault(name, []).append(values)
        columns["camera_idx"][-1] = idx
        columns["pos"][-1] = valid["pos"] + int(offset)
    if not columns:
        return Prepared(report, EventColumns({"pos": np.zeros(0, dtype=np.int64)}), registry,
                        dt.datetime.now(dt.timezone.utc), rows)
    merged = EventColumns({name: np.concatenate(values) for name, values in columns.items()})
    gone = merged["camera_idx"] < 0
    for pos in merged["pos"][gone]:
        report.outcomes[pos] = REJECTED
        report.reasons[int(pos)] = "camera_id: the camera left the registry while its event was held"
    merged = merged.take(~gone)
    minute_s = (merged["start_ns"] // (60 * aggregate.NS)) * 60
    first_seen = _first_occurrences(merged["camera_idx"], minute_s, merged["key"])
    report.outcomes[merged["pos"][~first_seen]] = DUPLICATE
    prepared = Prepared(report, merged.take(first_seen), registry, max(p.now for p in parts), rows)
    prepared.aggregate()
    return prepared


def commit_prepared(conn: psycopg.Connection, prepared: Prepared, *, extend_extent: bool = True) -> IngestReport:
    """The database half: claim keys, add aggregates, quarantine rejects -- atomically.

    Runs as its own transaction, or a savepoint inside the caller's.
    ``extend_extent`` moves ``detections_extent`` last, as every writer does
    (a caller writing more rows afterwards passes False and moves it itself).
    """
    report, valid, now = prepared.report, prepared.valid, prepared.now
    with conn.transaction():
        # Every partition is made before the first insert, so a worker never
        # waits for a parent-table lock while holding row locks of its own.
        days = _span_days(valid)
        for table in ("ingest_event_keys", "detections_camera_minute", "detections_hex_5min"):
            detections.ensure_partitions(conn, table, days)
        if report.reasons:
            detections.ensure_partitions(conn, "ingest_quarantine", [now.astimezone(dt.timezone.utc).date()])
        detections.prepare_staging(conn)
        if len(valid):
            keys = prepared.keys()
            seen = detections.claim_event_keys(conn, keys)
            if len(seen):
                is_seen = (keys.merge(seen, how="left", on=["camera_id", "minute_s", "event_key"],
                                      indicator=True)["_merge"] == "both").to_numpy()
                report.outcomes[valid["pos"][is_seen]] = DUPLICATE
                prepared.valid = valid = valid.take(~is_seen)
                prepared.aggregate()
        if prepared.minute is not None:
            report.camera_minute_rows = detections.upsert_camera_minute(conn, prepared.minute)
            report.hex_rows = detections.upsert_hex_5min(conn, prepared.hexes)
        if prepared.quarantine_rows:
            detections.quarantine(conn, received_at=now, source=report.source, rows=prepared.quarantine_rows)
        span = prepared.minute_span()
        if extend_extent and span is not None:
            detections.extend_extent(conn, *span)
    report.accepted = int((report.outcomes == ACCEPTED).sum())
    report.duplicates = int((report.outcomes == DUPLICATE).sum())
    report.rejected = int((report.outcomes == REJECTED).sum())
    return report


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
    with conn.transaction():
        if registry is None:
            registry = camera_registry(conn)
        prepared = prepare_events(events, registry, source=source, now=now, policy=policy,
                                  first_row=first_row, owner=owner)
        return commit_prepared(conn, prepared)


def ingest_pipelined(
    conn: psycopg.Connection,
    batches: Iterable[tuple[int, object]],
    *,
    source: str,
    now: dt.datetime | None = None,
    policy: IngestPolicy | None = None,
    to_frame: Callable[[object], pd.DataFrame] | None = None,
) -> Iterator[IngestReport]:
    """Ingest ``(first_row, batch)`` items, preparing the next while the database writes this one.

    Each batch is committed on its own.  ``to_frame`` (run in the helper
    thread too) turns an item's payload into events, e.g. parsing JSON
    bodies; by default the payload already is a DataFrame.  The CPU half runs in a helper
    thread; psycopg releases the GIL while it waits on the server, so on
    two cores preparation and database work overlap.  A registry change
    between preparing and committing sends the batch round again.
    """
    registry = camera_registry(conn)
    conn.commit()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-prepare") as pool:
        def work(item, reg) -> Prepared:
            first_row, payload = item
            frame = to_frame(payload) if to_frame is not None else payload
            return prepare_events(frame, reg, source=source, now=now, policy=policy, first_row=first_row)

        def submit(item, reg):
            return pool.submit(work, item, reg)

        iterator = iter(batches)
        current = next(iterator, None)
        future = submit(current, registry) if current is not None else None
        while future is not None:
            prepared = future.result()
            following = next(iterator, None)
            future = submit(following, registry) if following is not None else None
            with conn.transaction():
                fresh = camera_registry(conn)
                if fresh.version != prepared.registry.version:
                    registry = fresh
                    prepared = prepare_events(prepared.events, fresh, source=source, now=now, policy=policy,
                                              first_row=prepared.report.first_row)
                report = commit_prepared(conn, prepared)
            yield report
