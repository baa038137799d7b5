"""Parsing of Dash callback inputs: a value of the wrong type, size or range is a 400 naming it.

A callback's inputs come from the browser, so anyone can send anything in
their place (the access layer only guarantees that they are the declared
inputs).  Each page callback parses its inputs with these functions first;
each raises :class:`hexops.errors.InputError` naming the input
(``map-metric.value``), which the web layer's error handler answers with
400 -- never a 500.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any, Iterable

from hexops.errors import InputError
from hexops.geodata.h3cells import str_to_cell
from hexops.times import parse_instant

#: Longest free text a callback accepts (names, reasons, filters).
MAX_TEXT_CHARS = 500


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def choice(value: Any, allowed: Iterable, field: str, *, default: Any = None) -> Any:
    """``value`` if it is one of ``allowed`` (None gives ``default`` when one is set)."""
    allowed = list(allowed)
    if value is None and default is not None:
        return default
    if isinstance(value, (str, int)) and not isinstance(value, bool) and value in allowed:
        return value
    raise InputError(f"must be one of {', '.join(map(str, allowed))}", field=field)


def optional_int(value: Any, field: str, *, low: int, high: int) -> int | None:
    """A whole number in ``[low, high]`` (``3.0`` is 3), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise InputError(f"must be a whole number from {low} to {high}", field=field) from None
    if not _is_number(value) or not math.isfinite(value) or value != int(value) or not low <= value <= high:
        raise InputError(f"must be a whole number from {low} to {high}", field=field)
    return int(value)


def clicks(value: Any, field: str) -> int:
    """A button's ``n_clicks`` (None before the first click is 0)."""
    return optional_int(value, field, low=0, high=10**9) or 0


def optional_text(value: Any, field: str, *, max_chars: int = MAX_TEXT_CHARS) -> str | None:
    """Text of at most ``max_chars`` printable characters, stripped (None or blank is None)."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_chars:
        raise InputError(f"must be text of at most {max_chars} characters", field=field)
    if any((ord(c) < 32 and c not in "\t\n") or ord(c) == 127 for c in value):
        raise InputError("must not contain control characters", field=field)
    value = value.strip()
    return value or None


def optional_date(value: Any, field: str) -> date | None:
    """A date picker's ``YYYY-MM-DD`` (a time part is ignored), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and 10 <= len(value) <= 40:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise InputError("must be a date as YYYY-MM-DD", field=field)


def optional_time(value: Any, field: str) -> datetime | None:
    """An ISO-8601 time with a UTC offset (``?at=`` links), or None (see :func:`hexops.times.parse_instant`)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise InputError("must be an ISO-8601 time with a UTC offset", field=field)
    return parse_instant(value, field)


def optional_cell(value: Any, field: str) -> str | None:
    """A clicked hex's H3 id string (checked to be a valid cell), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) <= 20:
        try:
            str_to_cell(value)
            return value
        except ValueError:
            pass
    raise InputError("must be an H3 cell id", field=field)


def mapping(value: Any, field: str) -> dict:
    """A store holding an object (None is ``{}``)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError("must be an object", field=field)
    return value


def ring(value: Any, field: str, *, max_vertices: int = 500) -> list[list[float]] | None:
    """A drawn polygon ``[[lon, lat], ...]`` (EPSG:4326) of finite numbers, or None."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > max_vertices or not all(
            isinstance(p, list) and len(p) == 2 and all(_is_number(c) and math.isfinite(c) for c in p)
            for p in value):
        raise InputError(f"must be a list of at most {max_vertices} [lon, lat] pairs", field=field)
    return value
