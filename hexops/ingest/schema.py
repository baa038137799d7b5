"""The detection event schema ``hexops.detections/1`` and batch flattening.

One event is one camera's summary over a window (see docs/ingestion.md).
Files and DataFrames carry flat columns (:data:`COLUMNS`); batches from
gateways (HTTP, NATS) carry ``water`` and ``model`` as nested objects and
are flattened here, keeping each event's original object in ``_raw`` so a
rejected event is quarantined exactly as it arrived.
"""

from __future__ import annotations

import re

from typing import Any

import io

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from hexops.ingest.errors import BatchError

SCHEMA = "hexops.detections/1"

#: Flat columns of one event, in documentation order.
COLUMNS: tuple[str, ...] = (
    "event_id",
    "camera_id",
    "window_start",
    "window_end",
    "people",
    "vehicles",
    "water_state",
    "water_confidence",
    "saturated",
    "model_name",
    "model_version",
)

WATER_STATES: tuple[str, ...] = ("dry", "wet", "flooded")

#: Nested keys of the batch form and the flat column each becomes.
_NESTED = {"water": {"state": "water_state", "confidence": "water_confidence"},
           "model": {"name": "model_name", "version": "model_version"}}


def flatten_event(event: Any) -> dict[str, Any]:
    """One batch event as a flat row; non-objects become a row of nothing but ``_raw``."""
    if not isinstance(event, dict):
        return {"_raw": event, "_not_object": True}
    row: dict[str, Any] = {}
    for key, value in event.items():
        nested = _NESTED.get(key)
        if nested is None:
            row[key] = value
        elif isinstance(value, dict):
            for inner, column in nested.items():
                if inner in value:
                    row[column] = value[inner]
        else:
            # A scalar where an object belongs: leave the flat fields absent
            # so validation names them as missing.
            row[f"_{key}_not_object"] = True
    row["_raw"] = event
    return row


def batch_events(batch: Any) -> list[Any]:
    """Check a batch's envelope and return its list of events.

    Raises
    ------
    BatchError
        When the batch is not an object, names another schema, or has no
        ``events`` list.  Individual events are checked later, one by one.
    """
    if not isinstance(batch, dict):
        raise BatchError("batch", "must be a JSON object")
    schema = batch.get("schema")
    if schema != SCHEMA:
        raise BatchError("schema", f"must be {SCHEMA!r}, got {schema!r}")
    events = batch.get("events")
    if not isinstance(events, list):
        raise BatchError("events", "must be a list of events")
    return events


def events_frame(events: list[Any]) -> pd.DataFrame:
    """Flatten a list of batch events into the DataFrame ``ingest_events`` takes."""
    frame = pd.DataFrame.from_records([flatten_event(e) for e in events])
    if len(frame) == 0:
        return pd.DataFrame(columns=list(COLUMNS))
    return frame


#: The batch form's exact types, for the columnar fast path.  Times stay
#: text here: the validator parses them and insists on an offset.
_ARROW_EVENT = pa.struct([
    ("event_id", pa.string()), ("camera_id", pa.string()),
    ("window_start", pa.string()), ("window_end", pa.string()),
    ("people", pa.int64()), ("vehicles", pa.int64()),
    ("water", pa.struct([("state", pa.string()), ("confidence", pa.float64())])),
    ("saturated", pa.bool_()),
    ("model", pa.struct([("name", pa.string()), ("version", pa.string())])),
])
_ARROW_BATCH = pa.schema([("schema", pa.string()), ("gateway_id", pa.string()),
                          ("events", pa.list_(_ARROW_EVENT))])
_ARROW_COLUMNS = {"event_id": ("event_id",), "camera_id": ("camera_id",), "window_start": ("window_start",),
                  "window_end": ("window_end",), "people": ("people",), "vehicles": ("vehicles",),
                  "water_state": ("water", "state"), "water_confidence": ("water", "confidence"),
                  "saturated": ("saturated",), "model_name": ("model", "name"),
                  "model_version": ("model", "version")}


def _columnar(data: bytes, n_batches: int) -> tuple[pa.Table, pd.DataFrame] | None:
    """Parse ``n_batches`` well-typed batches (one JSON object per line) into columns, or None.

    pyarrow's C++ reader parses them in one call against the exact batch
    types.  Any deviation (a count sent as text, a nested field that is not
    an object, an event that is not an object) makes it refuse the whole
    input; the caller then takes the per-event path, which words a reason
    for each bad event.
    """
    options = pajson.ParseOptions(explicit_schema=_ARROW_BATCH, unexpected_field_behavior="ignore")
    try:
        table = pajson.read_json(io.BytesIO(data), read_options=pajson.ReadOptions(block_size=len(data) + 64),
                                 parse_options=options)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != n_batches or table.column("events").null_count:
        return None
    events = table.column("events").combine_chunks().values
    if events.null_count:
        return None
    columns = {}
    for name, path in _ARROW_COLUMNS.items():
        array = events.field(path[0])
        if len(path) == 2:
            if array.null_count:
                return None
            array = array.field(path[1])
        columns[name] = array
    return table, pa.table(columns).to_pandas(self_destruct=True)


def _is_object_text(body: bytes) -> bool:
    """Does ``body`` start like a JSON object?

    Only such bodies go to pyarrow's JSON reader: pyarrow 26 crashes the
    whole process (SIGSEGV) on a body that is a bare ``null``, and anything
    but an object is refused by the per-event path anyway.
    """
    return body.lstrip(b" \t\r")[:1] == b"{"


def _parse_columnar(body: bytes) -> tuple[dict, pd.DataFrame] | None:
    """One well-typed batch straight into columns (see :func:`_columnar`), or None."""
    if b"\n" in body or not _is_object_text(body):
        return None
    parsed = _columnar(body, 1)
    if parsed is None:
        return None
    table, frame = parsed
    envelope = {"schema": table.column("schema")[0].as_py(), "gateway_id": table.column("gateway_id")[0].as_py()}
    return envelope, frame


def parse_many(bodies: list[bytes]) -> pd.DataFrame | None:
    """The events of many batches in one columnar parse, in body order; None if any deviates.

    A worker or backfill holds dozens to hundreds of gateway batches at
    once: one parse and one pandas conversion for all of them costs much
    less than one per batch.  None (a body spanning lines, a deviating
    type, another schema) sends the caller to :func:`parse_batch` body by
    body, which names the problem.
    """
    parsed = parse_many_counted(bodies)
    return None if parsed is None else parsed[0]


def parse_many_counted(bodies: list[bytes]) -> tuple[pd.DataFrame, np.ndarray] | None:
    """:func:`parse_many`, with the number of events of each body (their rows follow body order)."""
    if not bodies or any(b"\n" in body or not _is_object_text(body) for body in bodies):
        return None
    parsed = _columnar(b"\n".join(bodies), len(bodies))
    if parsed is None:
        return None
    table, frame = parsed
    schemas = table.column("schema")
    if schemas.null_count or not pc.all(pc.equal(schemas, SCHEMA)).as_py():
        return None
    counts = pc.list_value_length(table.column("events")).to_numpy(zero_copy_only=False)
    return frame, np.asarray(counts, dtype=np.int64)


def parse_batch(body: bytes | str) -> tuple[dict, pd.DataFrame]:
    """Parse a JSON batch body into (envelope, events DataFrame)."""
    if isinstance(body, str):
        body = body.encode()
    fast = _parse_columnar(body)
    if fast is not None:
        envelope, frame = fast
        if envelope["schema"] == SCHEMA:
            return envelope, frame
    try:
        batch = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BatchError("body", f"is not valid JSON ({exc})") from exc
    events = batch_events(batch)
    return batch, events_frame(events)


def make_batch(events: list[dict], gateway_id: str) -> dict:
    """A batch envelope around already nested events (used by publishers and tests)."""
    return {"schema": SCHEMA, "gateway_id": gateway_id, "events": events}


def nest_event(row: dict[str, Any]) -> dict[str, Any]:
    """A flat event row in the nested batch form."""
    out = {k: v for k, v in row.items() if k not in ("water_state", "water_confidence", "model_name", "model_version")}
    out["water"] = {"state": row.get("water_state"), "confidence": row.get("water_confidence")}
    out["model"] = {"name": row.get("model_name"), "version": row.get("model_version")}
    return out


def subject_token(text: str | None) -> str:
    """``text`` as one NATS subject token (an owner or district code): unusable characters become ``_``."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text or "none") or "none"
