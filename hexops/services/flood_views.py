"""Read models of the Drainage page: flood states, alerts, rainfall and crews at a time.

Only flood layers are read here (states, transitions, rain, crews), so a
Drainage user granted ``flood_alerts`` needs nothing else.  Times are UTC
in, the page shows them in the city's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd

from hexops.analytics.flood import STATES, rainstorm_level
from hexops.geodata.uow import UnitOfWork
from hexops.services import gazetteer
from hexops.services.cache import NoCache, ReadCache
from hexops.services.flood import flood_layout

_NO_CACHE = NoCache()


@dataclass
class DrainageView:
    """What the Drainage page shows at ``at``.

    Attributes
    ----------
    at : datetime
    states : dict
        ``{H3 res-9 cell: state code}`` (index into :data:`analytics.flood.STATES`) of every
        watched hex (one with cameras or a low-lying place).
    alerts : pandas.DataFrame
        Transitions in the hours before ``at``, newest first.
    rain : pandas.DataFrame
        Latest reading per station with its HKO level, wettest first.
    signal : str or None
        The HKO rainstorm level of the wettest station.
    crews : pandas.DataFrame
        The crew plan in force at ``at``.
    """

    at: datetime
    states: dict[int, int]
    alerts: pd.DataFrame
    rain: pd.DataFrame
    signal: str | None
    crews: pd.DataFrame


def data_end(uow: UnitOfWork) -> datetime | None:
    """The latest time with detections or rain readings (UTC)."""
    with uow:
        ends = [t for t in (uow.crowd.detection_time_range()[1], uow.rainfall.reading_time_range()[1])
                if t is not None]
    return max(ends) if ends else None


def drainage_view(uow: UnitOfWork, at: datetime, hours: float = 6.0,
                  cache: ReadCache = _NO_CACHE) -> DrainageView:
    """Flood states, recent transitions, rain and crews as of ``at`` (a read model: it changes nothing)."""
    with uow:
        states = uow.flood.states_at(at)
        codes = {int(h): 0 for h in flood_layout(uow, cache).hexes}
        codes.update({int(h): STATES.index(s) for h, s in zip(states["h3"], states["state"])})
        alerts = uow.flood.list_transitions(at - timedelta(hours=hours), at).sort_values("at", ascending=False)
        rain = uow.rainfall.latest_readings(at, timedelta(minutes=30)).sort_values("mm_per_h", ascending=False)
        _, plan = uow.flood.crew_plan_at(at)
    alerts["hex"] = [h3i.int_to_str(int(h)) for h in alerts["h3"]]
    rain["rainstorm"] = rainstorm_level(rain["mm_per_h"].to_numpy(float)) if len(rain) else []
    if len(plan):
        plan = plan.assign(hex=[h3i.int_to_str(int(h)) for h in plan["h3"]])
        names = gazetteer.name_cells(uow, plan["hex"])
        plan = plan.assign(place=[names[h] for h in plan["hex"]])
    if len(rain):
        names = gazetteer.name_points(uow, {str(s): (float(la), float(lo))
                                            for s, la, lo in zip(rain["station_id"], rain["lat"], rain["lon"])})
        rain["place"] = [names[str(s)] for s in rain["station_id"]]
    signal = rain["rainstorm"].iloc[0] if len(rain) else None
    return DrainageView(at=at, states=codes, alerts=alerts.reset_index(drop=True), rain=rain.reset_index(drop=True),
                        signal=None if signal is None or (isinstance(signal, float) and np.isnan(signal)) else signal,
                        crews=plan)
