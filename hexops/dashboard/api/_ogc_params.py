"""Parsing the query parameters of OGC API - Features and tile requests.

Every failure raises :class:`ParameterError` naming the parameter, which
the API turns into a 400 response.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from datetime import datetime, timezone

from hexops.errors import InputError

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


class ParameterError(InputError):
    """A bad query parameter; ``str()`` names it and says what was expected."""


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``minlon,minlat,maxlon,maxlat`` in WGS84 (EPSG:4326) degrees, or None."""
    if text is None or text == "":
        return None
    parts = text.split(",")
    if len(parts) != 4:
        raise ParameterError(f"bbox: expected 4 comma-separated numbers, got {len(parts)}")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError as exc:
        raise ParameterError(f"bbox: {text!r} is not four numbers") from exc
    xmin, ymin, xmax, ymax = values
    if not all(math.isfinite(v) for v in values):
        raise ParameterError("bbox: numbers must be finite")
    if not (-180 <= xmin <= 180 and -180 <= xmax <= 180 and -90 <= ymin <= 90 and -90 <= ymax <= 90):
        raise ParameterError("bbox: longitudes must lie in -180..180 and latitudes in -90..90")
    if xmin > xmax or ymin > ymax:
        raise ParameterError("bbox: min must not exceed max (antimeridian boxes are not supported)")
    return xmin, ymin, xmax, ymax


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise ParameterError(f"datetime: {text!r} is not an RFC 3339 date-time") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def parse_datetime(text: str | None) -> tuple[datetime | None, datetime | None]:
    """An instant (``start == end``) or an interval ``a/b`` with ``..`` or empty for open ends.

    Times without an offset are taken as UTC.
    """
    if text is None or text == "":
        return None, None
    if "/" not in text:
        instant = _instant(text)
        return instant, instant
    first, _, second = text.partition("/")
    start = None if first in ("", "..") else _instant(first)
    end = None if second in ("", "..") else _instant(second)
    if start is not None and end is not None and start > end:
        raise ParameterError("datetime: the interval ends before it starts")
    return start, end


def parse_int(text: str | None, name: str, default: int, lowest: int, highest: int) -> int:
    """An integer parameter within ``[lowest, highest]``."""
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError as exc:
        raise ParameterError(f"{name}: {text!r} is not an integer") from exc
    if not lowest <= value <= highest:
        raise ParameterError(f"{name}: must lie in {lowest}..{highest}, got {value}")
    return value


def encode_cursor(after: tuple[datetime | None, str]) -> str:
    """The ``cursor`` parameter of a ``next`` link: the last feature's time and id, base64url-encoded."""
    t, fid = after
    raw = json.dumps([t.isoformat() if t is not None else None, fid], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse_cursor(text: str | None) -> tuple[datetime | None, str] | None:
    """A ``cursor`` from a ``next`` link, or None; anything else is a :class:`ParameterError`."""
    if text is None or text == "":
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
        t, fid = raw
        if not isinstance(fid, str) or not (t is None or isinstance(t, str)):
            raise ValueError
        when = datetime.fromisoformat(t) if t is not None else None
        if when is not None and when.tzinfo is None:
            raise ValueError
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error):
        raise ParameterError("cursor: not a cursor from this API's next link") from None
    return when, fid
