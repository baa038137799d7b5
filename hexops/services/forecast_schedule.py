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

from hexops.analytics.risk import parse_horizon
from hexops.geodata.uow import UnitOfWork

#: H3 resolution of the scheduled forecasts (the commander's map).
RESOLUTION = 9
#: All-types horizons and the models compared for them; each type gets a next-day forecast.
ALL_TYPES = (("shift", ("kde", "hawkes", "gbm")), ("1d", ("kde", "hawkes", "gbm")), ("7d", ("kde", "hawkes", "gbm")))
PER_TYPE = ("1d", ("kde", "hawkes"))
MAX_PER_RUN = 1


def wanted(event_types: list[str]) -> list[tuple[str, str | None, tuple[str, ...]]]:
    """``(horizon, event type or None, models)`` of every scheduled forecast."""
    return [(h, None, m) for h, m in ALL_TYPES] + [(PER_TYPE[0], t, PER_TYPE[1]) for t in event_types]


def ensure_current(uow: UnitOfWork, now: datetime) -> dict[str, int]:
    """Make the forecasts that are due at ``now`` (UTC), at most :data:`MAX_PER_RUN` of them.

    Returns ``{"made": n, "due": m}``: forecasts made by this call and still
    due after it (``{"made": 0, "due": 0, "incidents": 0}`` without incidents).
    """
    from hexops.services.risk import compute_forecast, forecast_cutoff

    with uow:
        first, last = uow.incidents.incident_span()
        if last is None:
            return {"made": 0, "due": 0, "incidents": 0}
        as_of = min(now, last + timedelta(microseconds=1))
        due = []
        for horizon, event_type, models in wanted(uow.incidents.incident_types()):
            cutoff = forecast_cutoff(as_of, parse_horizon(horizon)).to_pydatetime()
            run = uow.risk.latest_run(RESOLUTION, horizon, event_type)
            if run is None or run["window_start"] != cutoff:
                due.append((horizon, event_type, models))
        made = 0
        for horizon, event_type, models in due[:MAX_PER_RUN]:
            compute_forecast(uow.conn, resolution=RESOLUTION, horizon=horizon, event_type=event_type,
                             as_of=as_of, models=models)
            uow.commit()
            made += 1
    return {"made": made, "due": len(due) - made}
