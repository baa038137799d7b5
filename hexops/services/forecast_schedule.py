"""Crime-risk forecasts on a schedule: each shift, each day and each week, and each type's next day.

The ``risk.forecast`` job calls :func:`ensure_current` every few minutes on
the product clock.  A forecast is due when the newest run for its horizon
and type does not start at the current cutoff (the first bin edge at or
after now, or after the last incident when the history ends earlier, as in
the demo).  Making one takes seconds, so one run makes at most
:data:`MAX_PER_RUN` and the next run carries on: the job is idempotent and
never runs long enough to starve the alert jobs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hexops.analytics.risk import parse_horizon, quick_names
from hexops.geodata.uow import UnitOfWork
from hexops.services.risk import forecast_cutoff
from hexops.services.risk import compute_forecast

#: H3 resolution of the scheduled forecasts (the commander's map).
RESOLUTION = 9
#: All-types horizons (the registry's default forecasters); each type gets a next-day forecast
#: from the quick ones, as the demo step makes them.
ALL_TYPES = ("shift", "1d", "7d")
PER_TYPE_HORIZON = "1d"
MAX_PER_RUN = 1


def wanted(event_types: list[str]) -> list[tuple[str, str | None, tuple[str, ...] | None]]:
    """``(horizon, event type or None, forecasters or None for the defaults)`` of every scheduled forecast."""
    return [(h, None, None) for h in ALL_TYPES] + [(PER_TYPE_HORIZON, t, tuple(quick_names())) for t in event_types]


def due(uow: UnitOfWork, now: datetime) -> list[tuple[str, str | None, tuple[str, ...] | None]]:
    """The scheduled forecasts due at ``now`` (UTC): those whose newest run does not start at the cutoff."""
    with uow:
        _, last = uow.incidents.incident_span()
        if last is None:
            return []
        as_of = min(now, last + timedelta(microseconds=1))
        out = []
        for horizon, event_type, models in wanted(uow.incidents.incident_types()):
            cutoff = forecast_cutoff(as_of, parse_horizon(horizon)).to_pydatetime()
            run = uow.risk.latest_run(RESOLUTION, horizon, event_type)
            if run is None or run["window_start"] != cutoff:
                out.append((horizon, event_type, models))
    return out


def ensure_current(uow: UnitOfWork, now: datetime) -> dict[str, int]:
    """Make the forecasts that are due at ``now`` (UTC), at most :data:`MAX_PER_RUN` of them.

    Returns ``{"made": n, "due": m}``: forecasts made by this call and still due after it.
    """

    pending = due(uow, now)
    if not pending:
        return {"made": 0, "due": 0}
    with uow:
        last = uow.incidents.incident_span()[1]
    as_of = min(now, last + timedelta(microseconds=1))
    for horizon, event_type, models in pending[:MAX_PER_RUN]:
        compute_forecast(uow, resolution=RESOLUTION, horizon=horizon, event_type=event_type, as_of=as_of,
                         now=now, models=models)
    made = min(len(pending), MAX_PER_RUN)
    return {"made": made, "due": len(pending) - made}
