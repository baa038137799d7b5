"""The detection event schema ``hexops.detections/1`` and batch flattening.

One event is one camera's summary over a window (see docs/ingestion.md).
Files and DataFrames carry flat columns (:data:`COLUMNS`); batches from
gateways (HTTP, NATS) carry ``water`` and ``model`` as nested objects and
are flattened here, keeping each event's original object in ``_raw`` so a
rejected event is quarantined exactly as it arrived.
"""

from __future__ import annotations

from typing import Any

import orjson
import pandas as pd

from ingest.errors import BatchError

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


def parse_batch(body: bytes | str) -> tuple[dict, pd.DataFrame]:
    """Parse a JSON batch body into (envelope, events DataFrame)."""
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
    out["water"] = {"state": row["water_state"], "confidence": row["water_confidence"]}
    out["model"] = {"name": row["model_name"], "version": row["model_version"]}
    return out
