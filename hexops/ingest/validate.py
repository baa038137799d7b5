"""Vectorised validation of detection events (schema ``hexops.detections/1``).

Each check is a NumPy mask over the whole batch; only the rows that fail a
check are visited one by one, to word their reason.  Typed columns (from
Parquet, or a DataFrame built by the simulator) take the fast path; object
columns (JSON with mixed types) are checked element by element, because
that is where wrong types hide.
"""

from __future__ import annotations


import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hexops.ingest.columns import EventColumns
from hexops.ingest.known_cameras import CameraRegistry
from hexops.ingest.schema import COLUMNS, WATER_STATES, subject_token

NS = 1_000_000_000


@dataclass(frozen=True)
class IngestPolicy:
    """Limits an event must respect.

    Attributes
    ----------
    max_window_s : float
        Longest window, seconds (the schema allows 600).
    max_future_s : float
        Tolerated clock skew: ``window_end`` may be this many seconds after now.
    max_late_s : float
        Late-event window: ``window_start`` may be this many seconds before
        now, and such a late event still updates its bucket.  Older events
        are rejected as too old (a backfill raises it explicitly).
    max_people, max_vehicles : int
        Counts above these are absurd for one camera's view.
    """

    max_window_s: float = 600.0
    max_future_s: float = 120.0
    max_late_s: float = 6 * 3600.0
    max_people: int = 20_000
    max_vehicles: int = 5_000


@dataclass
class Validated:
    """The outcome of validation.

    Attributes
    ----------
    valid : EventColumns
        One row per valid event: ``pos`` (row position in the input),
        ``event_id``, ``camera_idx`` (row of the registry), ``start_ns``,
        ``end_ns`` (int64 UTC epoch nanoseconds), ``people``, ``vehicles``
        (int64), ``water`` (0 dry, 1 wet, 2 flooded), ``conf`` (float64),
        ``saturated`` (bool).
    reasons : dict
        Row position -> list of reasons, each starting with the field name.
    """

    valid: EventColumns
    reasons: dict[int, list[str]]


class _Collector:
    def __init__(self, n: int):
        self.n = n
        self.bad = np.zeros(n, dtype=bool)
        self.reasons: dict[int, list[str]] = {}

    def add(self, mask: np.ndarray, field: str, message, values=None) -> None:
        """Record ``field: message`` for every row in ``mask``; ``message`` may format the value."""
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        self.bad[idx] = True
        for i in idx.tolist():
            text = message(values[i]) if callable(message) else message
            self.reasons.setdefault(i, []).append(f"{field}: {text}")


def _short(value: object) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _column(frame: pd.DataFrame, name: str) -> pd.Series | None:
    return frame[name] if name in frame.columns else None


def _missing_mask(series: pd.Series) -> np.ndarray:
    return np.asarray(pd.isna(series), dtype=bool)


def _text(frame, name, out: _Collector, max_len: int | None = None) -> np.ndarray:
    """Check a text column; returns an object array (None where bad)."""
    col = _column(frame, name)
    if col is None:
        out.add(np.ones(out.n, dtype=bool), name, "missing")
        return np.full(out.n, None, dtype=object)
    values = col.to_numpy(dtype=object)
    missing = _missing_mask(col)
    out.add(missing, name, "missing")
    if (pd.api.types.is_string_dtype(col.dtype) and col.dtype != object) or (
        pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
    ):
        # Everything present is text (a C-speed check on the common path).
        is_str = ~missing
    else:
        is_str = np.fromiter((type(v) is str for v in values), dtype=bool, count=out.n)
        out.add(~missing & ~is_str, name, lambda v: f"must be text, got {_short(v)}", values)
    ok = is_str.copy()
    if ok.any():
        lengths = np.zeros(out.n, dtype=np.int64)
        lengths[ok] = pc.utf8_length(pa.array(values[ok], type=pa.string())).to_numpy()
        empty = ok & (lengths == 0)
        out.add(empty, name, "must not be empty")
        ok &= ~empty
        if max_len is not None:
            long = ok & (lengths > max_len)
            out.add(long, name, lambda v: f"longer than {max_len} characters ({len(v)})", values)
            ok &= ~long
        # PostgreSQL text cannot hold U+0000, and no name or version needs one.
        nul = np.zeros(out.n, dtype=bool)
        if ok.any():
            found = pc.match_substring(pa.array(values[ok], type=pa.string()), "\x00")
            nul[ok] = found.to_numpy(zero_copy_only=False)
        out.add(nul, name, "must not contain NUL characters")
        ok &= ~nul
    values = values.copy()
    values[~ok] = None
    return values


def _integer(frame, name, out: _Collector, maximum: int) -> np.ndarray:
    """Check a whole-number count column; returns int64 (0 where bad)."""
    col = _column(frame, name)
    result = np.zeros(out.n, dtype=np.int64)
    if col is None:
        out.add(np.ones(out.n, dtype=bool), name, "missing")
        return result
    values = col.to_numpy()
    missing = _missing_mask(col)
    out.add(missing, name, "missing")
    if pd.api.types.is_bool_dtype(col.dtype):
        out.add(~missing, name, "must be a whole number, got a boolean")
        return result
    if pd.api.types.is_integer_dtype(col.dtype):
        nums = col.to_numpy(dtype=np.float64, na_value=np.nan)
        typed = ~missing
    elif pd.api.types.is_float_dtype(col.dtype):
        nums = col.to_numpy(dtype=np.float64, na_value=np.nan)
        typed = ~missing
    else:
        objs = col.to_numpy(dtype=object)
        typed = np.fromiter(
            (isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
             for v in objs), dtype=bool, count=out.n,
        ) & ~missing
        out.add(~missing & ~typed, name, lambda v: f"must be a whole number, got {_short(v)}", objs)
        nums = np.full(out.n, np.nan)
        nums[typed] = np.asarray([float(v) for v in objs[typed]], dtype=np.float64)
        values = objs
    finite = typed & np.isfinite(nums)
    out.add(typed & ~finite, name, "must be a finite whole number")
    with np.errstate(invalid="ignore"):
        fractional = finite & (np.floor(nums) != nums)
        negative = finite & ~fractional & (nums < 0)
        absurd = finite & ~fractional & (nums > maximum)
    out.add(fractional, name, lambda v: f"must be a whole number, got {_short(v)}", values)
    out.add(negative, name, lambda v: f"must be >= 0, got {_short(v)}", values)
    out.add(absurd, name, lambda v: f"is absurd for one camera (> {maximum}), got {_short(v)}", values)
    ok = finite & ~fractional & ~negative & ~absurd
    result[ok] = nums[ok].astype(np.int64)
    return result


def _fraction(frame, name, out: _Collector) -> np.ndarray:
    """Check a confidence in [0, 1]; returns float64 (0 where bad)."""
    col = _column(frame, name)
    result = np.zeros(out.n, dtype=np.float64)
    if col is None:
        out.add(np.ones(out.n, dtype=bool), name, "missing")
        return result
    missing = _missing_mask(col)
    out.add(missing, name, "missing")
    values = col.to_numpy(dtype=object)
    if pd.api.types.is_bool_dtype(col.dtype):
        out.add(~missing, name, "must be a number between 0 and 1, got a boolean")
        return result
    if pd.api.types.is_numeric_dtype(col.dtype):
        nums = col.to_numpy(dtype=np.float64, na_value=np.nan)
        typed = ~missing
    else:
        typed = np.fromiter(
            (isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
             for v in values), dtype=bool, count=out.n,
        ) & ~missing
        out.add(~missing & ~typed, name, lambda v: f"must be a number between 0 and 1, got {_short(v)}", values)
        nums = np.full(out.n, np.nan)
        nums[typed] = np.asarray([float(v) for v in values[typed]], dtype=np.float64)
    with np.errstate(invalid="ignore"):
        outside = typed & ~((nums >= 0.0) & (nums <= 1.0))
    out.add(outside, name, lambda v: f"must be between 0 and 1, got {_short(v)}", values)
    ok = typed & ~outside
    result[ok] = nums[ok]
    return result


def _flag(frame, name, out: _Collector) -> np.ndarray:
    """Check a boolean column; returns bool (False where bad)."""
    col = _column(frame, name)
    if col is None:
        out.add(np.ones(out.n, dtype=bool), name, "missing")
        return np.zeros(out.n, dtype=bool)
    missing = _missing_mask(col)
    out.add(missing, name, "missing")
    if pd.api.types.is_bool_dtype(col.dtype):
        return col.to_numpy(dtype=bool, na_value=False) & ~missing
    values = col.to_numpy(dtype=object)
    is_bool = np.fromiter((isinstance(v, (bool, np.bool_)) for v in values), dtype=bool, count=out.n)
    out.add(~missing & ~is_bool, name, lambda v: f"must be true or false, got {_short(v)}", values)
    result = np.zeros(out.n, dtype=bool)
    result[is_bool] = [bool(v) for v in values[is_bool]]
    return result


def _timestamp(frame, name, out: _Collector) -> np.ndarray:
    """Check an ISO-8601 time with a UTC offset; returns int64 epoch ns (0 where bad)."""
    col = _column(frame, name)
    result = np.zeros(out.n, dtype=np.int64)
    if col is None:
        out.add(np.ones(out.n, dtype=bool), name, "missing")
        return result
    missing = _missing_mask(col)
    out.add(missing, name, "missing")
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        ok = ~missing
        result[ok] = col.dt.tz_convert("UTC").astype("datetime64[ns, UTC]").array.asi8[ok]
        return result
    if pd.api.types.is_datetime64_dtype(col.dtype):
        out.add(~missing, name, "must carry a UTC offset (a naive time is ambiguous)")
        return result
    fast = _arrow_times(col)
    if fast is not None:
        ok = ~missing
        result[ok] = fast[ok]
        return result
    values = col.to_numpy(dtype=object)
    is_str = np.fromiter((type(v) is str for v in values), dtype=bool, count=out.n)
    is_time = np.fromiter(
        (isinstance(v, dt.datetime) and v.tzinfo is not None for v in values), dtype=bool, count=out.n
    )
    out.add(~missing & ~is_str & ~is_time, name,
            lambda v: f"must be an ISO-8601 time with a UTC offset, got {_short(v)}", values)
    if is_str.any():
        strings = pd.Series(values[is_str], dtype=object).astype(str)
        has_offset = strings.str.contains(r"(?:Z|[+-]\d\d(?::?\d\d)?)$", regex=True).to_numpy()
        parsed = pd.to_datetime(strings, utc=True, format="ISO8601", errors="coerce")
        stamps = parsed.astype("datetime64[ns, UTC]").array
        good = has_offset & ~np.asarray(pd.isna(stamps), dtype=bool)
        str_idx = np.flatnonzero(is_str)
        bad_idx = np.zeros(out.n, dtype=bool)
        bad_idx[str_idx[~good]] = True
        out.add(bad_idx, name, lambda v: f"must be an ISO-8601 time with a UTC offset, got {_short(v)}", values)
        result[str_idx[good]] = stamps.asi8[good]
        is_str[str_idx[~good]] = False
    if is_time.any():
        result[is_time] = pd.to_datetime(list(values[is_time]), utc=True).astype("datetime64[ns, UTC]").asi8
    return np.where(is_str | is_time, result, 0)


def _marker(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A flattening marker column as bool (True only where set)."""
    if name not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return np.fromiter((v is True for v in frame[name].to_numpy(dtype=object)), dtype=bool, count=len(frame))


def _arrow_times(col: pd.Series) -> np.ndarray | None:
    """Parse a column of ISO-8601 texts in one pyarrow cast, or None if any is not one.

    Arrow's cast to a UTC timestamp requires an explicit offset, which is
    exactly the schema's rule; a single bad value fails the whole cast and
    the element-by-element path then words each reason.
    """
    try:
        text = pa.array(col, type=pa.string(), from_pandas=True)
        stamps = pc.cast(text, pa.timestamp("ns", "UTC"))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        return None
    return stamps.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)


def validate(
    frame: pd.DataFrame, registry: CameraRegistry, now: dt.datetime, policy: IngestPolicy,
    owner: str | np.ndarray | None = None,
) -> Validated:
    """Check every event of ``frame`` against the schema, the registry and the clock.

    Parameters
    ----------
    frame : DataFrame
        Flat events (:data:`ingest.schema.COLUMNS`); other columns are ignored,
        except ``_not_object`` (the batch held a non-object) and
        ``_water_not_object``/``_model_not_object`` (from batch flattening).
    registry : CameraRegistry
        Known cameras.
    now : datetime
        The reference time (timezone-aware, UTC).
    owner : str or ndarray of object, optional
        A device's department: its events may only name cameras that
        department owns. An array gives each event's department (a stream
        worker: the owner token of the subject each batch came on), compared
        with each camera's owner as a subject token.
    """
    n = len(frame)
    out = _Collector(n)
    for flag, field, message in (("_not_object", "event", "must be a JSON object"),
                                 ("_bad_json", "event", "is not valid JSON"),
                                 ("_water_not_object", "water", "must be an object with state and confidence"),
                                 ("_model_not_object", "model", "must be an object with name and version")):
        out.add(_marker(frame, flag), field, message)
    not_object = _marker(frame, "_not_object") | _marker(frame, "_bad_json")
    # A non-object event has no fields at all: one reason says it all.
    field_out = _Collector(n)
    event_id = _text(frame, "event_id", field_out, max_len=64)
    camera_id = _text(frame, "camera_id", field_out)
    start = _timestamp(frame, "window_start", field_out)
    end = _timestamp(frame, "window_end", field_out)
    people = _integer(frame, "people", field_out, policy.max_people)
    vehicles = _integer(frame, "vehicles", field_out, policy.max_vehicles)
    water_text = _text(frame, "water_state", field_out)
    conf = _fraction(frame, "water_confidence", field_out)
    saturated = _flag(frame, "saturated", field_out)
    _text(frame, "model_name", field_out)
    _text(frame, "model_version", field_out)

    water = pd.Categorical(water_text, categories=list(WATER_STATES)).codes.astype(np.int8)
    out_water = (water < 0) & np.asarray([v is not None for v in water_text], dtype=bool)
    field_out.add(out_water, "water_state", lambda v: f"must be one of {', '.join(WATER_STATES)}, got {_short(v)}",
                  water_text)

    has_camera = np.asarray([v is not None for v in camera_id], dtype=bool)
    camera_idx = registry.lookup(camera_id)
    field_out.add(has_camera & (camera_idx < 0), "camera_id",
                  lambda v: f"unknown camera {_short(v)}", camera_id)
    retired = (camera_idx >= 0) & registry.retired_mask(camera_idx)
    field_out.add(retired, "camera_id", lambda v: f"camera {_short(v)} is retired", camera_id)

    if isinstance(owner, np.ndarray):
        # Tokens of the registry's few owner codes, then one vectorised lookup per event.
        codes, which = np.unique(registry.owners.astype(str), return_inverse=True)
        owner_token = np.array([subject_token(c) for c in codes], dtype=object)[which]
        foreign = (camera_idx >= 0) & (owner_token[np.maximum(camera_idx, 0)] != owner)
        field_out.add(foreign, "camera_id",
                      lambda v: f"camera {_short(v)} is not owned by the department its batch was published for",
                      camera_id)
    elif owner is not None:
        foreign = (camera_idx >= 0) & (registry.owners[np.maximum(camera_idx, 0)] != owner)
        field_out.add(foreign, "camera_id", lambda v: f"camera {_short(v)} is not owned by {owner}", camera_id)

    times_ok = ~field_out.bad
    now_ns = int(pd.Timestamp(now).tz_convert("UTC").value)
    span = end - start
    field_out.add(times_ok & (span <= 0), "window_end", "must be after window_start")
    field_out.add(times_ok & (span > policy.max_window_s * NS), "window_end",
                  lambda s: f"window longer than {policy.max_window_s:g} s ({s / NS:g} s)", span)
    field_out.add(times_ok & (end > now_ns + policy.max_future_s * NS), "window_end",
                  lambda e: f"in the future ({pd.Timestamp(e, tz='UTC').isoformat()})", end)
    field_out.add(times_ok & (start < now_ns - policy.max_late_s * NS), "window_start",
                  lambda s: f"older than the late-event window of {policy.max_late_s:g} s "
                            f"({pd.Timestamp(s, tz='UTC').isoformat()})", start)

    for i, reasons in field_out.reasons.items():
        if not not_object[i]:
            out.reasons.setdefault(i, []).extend(reasons)
    bad = out.bad | field_out.bad
    keep = np.flatnonzero(~bad)
    valid = EventColumns({
        "pos": keep.astype(np.int64),
        "event_id": event_id[keep],
        "camera_idx": camera_idx[keep],
        "start_ns": start[keep],
        "end_ns": end[keep],
        "people": people[keep],
        "vehicles": vehicles[keep],
        "water": water[keep],
        "conf": conf[keep],
        "saturated": saturated[keep],
    })
    reasons = {i: out.reasons[i] for i in sorted(out.reasons)}
    return Validated(valid=valid, reasons=reasons)


__all__ = ["COLUMNS", "EventColumns", "IngestPolicy", "Validated", "validate"]
