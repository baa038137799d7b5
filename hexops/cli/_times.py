"""Parsing times and durations given on the command line (shared by the video and vault commands)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from hexops.cli import CliError

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h|d)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_time(value: str | None, option: str) -> datetime | None:
    """An ISO-8601 time that must carry a UTC offset (``Z`` accepted)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError as exc:
        raise CliError(f"{option}: {value!r} is not an ISO-8601 time") from exc
    if parsed.tzinfo is None:
        raise CliError(f"{option}: {value!r} needs a UTC offset (e.g. +08:00 or Z)")
    return parsed


def parse_duration(value: str, option: str) -> timedelta:
    """``30s``, ``15m``, ``1h`` or ``1d``."""
    match = _DURATION.match(value.strip())
    if not match:
        raise CliError(f"{option}: {value!r} is not a duration like 30s, 15m, 1h or 1d")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise CliError(f"{option}: {value!r} must be positive")
    return timedelta(seconds=seconds)
