"""Parsing the query parameters of OGC API - Features and tile requests.

Every failure raises :class:`ParameterError` naming the parameter, which
the API turns into a 400 response.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from datetime import date, datetime, time, timezone

from hexops.errors import InputError

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


class ParameterError(InputError):
    """A bad query parameter; ``str()`` names it and says what was expected."""


def parse_bbox(text: str | None, geographic: bool = True, swap_axes: bool = False,
               bounds: tuple[float, float, float, float] | None = None) -> tuple[float, float, float, float] | None:
    """``bbox``: 4 numbers (lower corner, upper corner) or 6 (with heights, ignored), or None.

    The numbers follow the axis order of ``bbox-crs`` (CRS84: longitude
    first; EPSG:4326 and EPSG:2326: latitude or northing first); the result
    is always ``(min x, min y, max x, max y)`` with x the longitude or easting.
    """
    if text is None or text == "":
        return None
    parts = text.split(",")
    if len(parts) not in (4, 6):
        raise ParameterError(f"bbox: expected 4 or 6 comma-separated numbers, got {len(parts)}")
    try:
        numbers = [float(p) for p in parts]
    except ValueError as exc:
        raise ParameterError(f"bbox: {text!r} is not {len(parts)} numbers") from exc
    if not all(math.isfinite(v) for v in numbers):
        raise ParameterError("bbox: numbers must be finite")
    half = len(numbers) // 2
    first, second = (numbers[0], numbers[1]), (numbers[half], numbers[half + 1])
    if swap_axes:
        first, second = first[::-1], second[::-1]
    xmin, ymin = first
    xmax, ymax = second
    if geographic and not (-180 <= xmin <= 180 and -180 <= xmax <= 180 and -90 <= ymin <= 90 and -90 <= ymax <= 90):
        raise ParameterError("bbox: longitudes must lie in -180..180 and latitudes in -90..90")
    if ymin > ymax or (xmin > xmax and not geographic):
        raise ParameterError("bbox: the lower corner must not lie above or beyond the upper one")
    if xmin > xmax:
        raise ParameterError("bbox: boxes across the antimeridian are not supported (min longitude > max)")
    if bounds is not None and not geographic and (
            xmin < bounds[0] or ymin < bounds[1] or xmax > bounds[2] or ymax > bounds[3]):
        raise ParameterError("bbox: outside the area bbox-crs covers")
    return xmin, ymin, xmax, ymax


def _instant(text: str, end_of_day: bool = False) -> datetime:
    """An RFC 3339 date-time, or a date (its first instant, or with ``end_of_day`` its last), UTC if no offset."""
    candidate = text[:-1] if len(text) == 11 and text.endswith(("T", "t")) else text  # GDAL writes dates as 'YYYY-MM-DDT'
    if len(candidate) == 10:
        try:
            day = date.fromisoformat(candidate)
        except ValueError as exc:
            raise ParameterError(f"datetime: {text!r} is not an RFC 3339 date or date-time") from exc
        return datetime.combine(day, time.max if end_of_day else time(0), tzinfo=timezone.utc)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise ParameterError(f"datetime: {text!r} is not an RFC 3339 date or date-time") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def parse_datetime(text: str | None) -> tuple[datetime | None, datetime | None]:
    """An instant, a date (its whole UTC day) or an interval ``a/b`` with ``..`` or empty for open ends.

    Returns a closed interval ``(start, end)``; a date at either end of an
    interval covers that whole day. Times without an offset are taken as UTC.
    """
    if text is None or text == "":
        return None, None
    if "/" not in text:
        if text == "..":
            raise ParameterError("datetime: '..' is an open end of an interval, not an instant")
        return _instant(text), _instant(text, end_of_day=True)
    first, _, second = text.partition("/")
    if "/" in second:
        raise ParameterError("datetime: an interval has two ends (a/b)")
    start = None if first in ("", "..") else _instant(first)
    end = None if second in ("", "..") else _instant(second, end_of_day=True)
    if start is not None and end is not None and start > end:
        raise ParameterError("datetime: the interval ends before it starts")
    return start, end


def parse_limit(text: str | None) -> int:
    """``limit``: 1 or more; above :data:`MAX_LIMIT` it is capped (the page says so by its size)."""
    if text is None or text == "":
        return DEFAULT_LIMIT
    try:
        value = int(text)
    except ValueError as exc:
        raise ParameterError(f"limit: {text!r} is not an integer") from exc
    if value < 1:
        raise ParameterError(f"limit: must be at least 1, got {value}")
    return min(value, MAX_LIMIT)


def check_known(args, known: set[str] | frozenset[str], resource: str) -> None:
    """A 400 naming the first query parameter ``resource`` does not define (and each repeated one).

    A value holding a NUL character is refused too: no text column can hold one.
    """
    for name in args:
        if any("\x00" in value for value in args.getlist(name)):
            raise ParameterError(f"{name}: contains a NUL character")
        if name not in known:
            raise ParameterError(f"{name}: not a parameter of {resource} (see the API definition at /ogcapi/api)")
        if len(args.getlist(name)) > 1:
            raise ParameterError(f"{name}: given more than once")


def parse_f(text: str | None) -> None:
    """``f``: only JSON is served (``json``, ``geojson``); anything else is a 400 naming it."""
    if text not in (None, "", "json", "geojson"):
        raise ParameterError(f"f: {text!r} is not served; this API answers in JSON only (f=json)")


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


def encode_cursor(after: tuple) -> str:
    """The ``cursor`` parameter of a ``next`` link: the last feature's sort values, time and id, base64url."""
    raw = json.dumps(list(after), separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse_cursor(text: str | None) -> tuple | None:
    """A ``cursor`` from a ``next`` link, or None; anything else is a :class:`ParameterError`.

    Its values are checked against the page's sort keys by the query
    (:func:`geodata.sharing_sql.typed`), which refuses a cursor of another order.
    """
    if text is None or text == "":
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
        if not isinstance(raw, list) or not raw or not isinstance(raw[-1], str) or len(raw) > 64:
            raise ValueError
        if not all(v is None or isinstance(v, (str, int, float, bool)) for v in raw):
            raise ValueError
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error):
        raise ParameterError("cursor: not a cursor from this API's next link") from None
    return tuple(raw)
