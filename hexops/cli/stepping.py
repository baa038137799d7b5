"""What the ``crowd advance`` and ``flood advance`` commands share: how far to step."""

from __future__ import annotations

from datetime import datetime

from hexops.cli import CliError
from hexops.services import flood_views
from hexops.times import parse_instant


def advance_until(context, until: str | None) -> datetime:
    """``--until`` as UTC, else the earlier of the clock's now and the latest data."""
    end = parse_instant(until, "--until")
    if end is not None:
        return end
    latest = flood_views.data_end(context.uow())
    if latest is None:
        raise CliError("no detections loaded")
    return min(latest, context.clock().now())
