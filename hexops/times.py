"""One parser for times and durations at every entry point (CLI, API, pages, files).

Inside hexops every time is a timezone-aware ``datetime`` in UTC.  At the
edges people write ISO-8601; this module turns what they wrote into that, or
raises :class:`hexops.errors.InputError` naming the field, so that every
command, route and form answers a bad time the same way.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from hexops.city import HONG_KONG, City
from hexops.errors import InputError

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h|d)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_instant(text: str | None, field: str, *, city: City = HONG_KONG, date_only: str = "refuse",
                  naive: str = "refuse") -> datetime | None:
    """An ISO-8601 time as an aware UTC ``datetime`` (None for None or blank).

    Parameters
    ----------
    text : str or None
        ``2026-10-01T21:00+08:00``, ``2026-10-01T13:00:00Z``.  A ``+`` that a
        URL decoder turned into a space (``21:00 08:00``) is mended.
    field : str
        Named in the error (``--until``, ``datetime``, ``at``).
    city : City
        Whose local time a date alone or a time without offset means, when allowed.
    date_only : {"refuse", "start"}
        A bare date (``2026-10-01``): refused, or the start of that local day.
    naive : {"refuse", "local"}
        A time without offset: refused, or taken as the city's local time.

    Raises
    ------
    InputError
        Naming ``field`` and saying what was expected.
    """
    if text is None or not str(text).strip():
        return None
    raw = str(text).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        if date_only != "start":
            raise InputError(f"{field}: {raw!r} is a date; give a time with a UTC offset, "
                             "e.g. 2026-10-01T21:00+08:00", field=field)
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise InputError(f"{field}: {raw!r} is not a calendar date", field=field) from None
        _check_year(day.year, raw, field)
        return datetime.combine(day, time(0), city.tz).astimezone(timezone.utc)
    mended = re.sub(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$", r"\1+\2", raw)
    if mended.endswith(("Z", "z")):
        mended = mended[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(mended)
    except ValueError:
        raise InputError(f"{field}: {raw!r} is not an ISO-8601 time such as 2026-10-01T21:00+08:00",
                         field=field) from None
    _check_year(parsed.year, raw, field)
    if parsed.tzinfo is None:
        if naive != "local":
            raise InputError(f"{field}: {raw!r} has no UTC offset; a time needs a UTC offset such as +08:00 or Z",
                             field=field)
        parsed = parsed.replace(tzinfo=city.tz)
    return parsed.astimezone(timezone.utc)


#: The years a time may name: wide enough for any data, narrow enough that
#: shifting it by a window or a time zone never leaves what Python and
#: PostgreSQL can represent (a year-1 or year-9999 time would overflow).
YEARS = (1900, 2999)


def _check_year(year: int, raw: str, field: str) -> None:
    if not YEARS[0] <= year <= YEARS[1]:
        raise InputError(f"{field}: {raw!r} is outside the years {YEARS[0]}-{YEARS[1]}", field=field)


def parse_local_date(text: str | None, field: str, *, city: City = HONG_KONG) -> date | None:
    """A calendar date (``2026-10-01``; a time part is ignored) as people mean it locally."""
    if text is None or not str(text).strip():
        return None
    try:
        day = date.fromisoformat(str(text).strip()[:10])
    except ValueError:
        raise InputError(f"{field}: {text!r} is not a date such as 2026-10-01", field=field) from None
    _check_year(day.year, str(text), field)
    return day


def local_day_start(day: date, city: City = HONG_KONG) -> datetime:
    """Midnight at the start of ``day`` in the city's time zone, as UTC."""
    return datetime.combine(day, time(0), city.tz).astimezone(timezone.utc)


def parse_duration(text: str, field: str) -> timedelta:
    """``30s``, ``15m``, ``1h`` or ``1d`` (a positive number and a unit)."""
    match = _DURATION.match(str(text).strip())
    if not match:
        raise InputError(f"{field}: {text!r} is not a duration like 30s, 15m, 1h or 1d", field=field)
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise InputError(f"{field}: {text!r} must be positive", field=field)
    return timedelta(seconds=seconds)
