"""Read models of the Drainage page: flood states, alerts, rainfall and crews at a time.

Only flood layers are read here (states, transitions, rain, crews), so a
Drainage user granted ``flood_alerts`` needs nothing else.  Times are UTC
in, the page shows them in Asia/Hong_Kong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd

from hexops.analytics.flood import STATES, rainstorm_level
from hexops.geodata import crowd as crowd_q
from hexops.geodata import flood as q
from hexops.geodata import rainfall as rain_q


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


def time_shown(latest: datetime, replay_min: int | None, pinned: str | None) -> tuple[datetime, str]:
    """The time a live page shows, and how it was chosen.

    ``replay_min`` (minutes before the latest data, from the replay slider)
    wins; else ``pinned`` (an ISO-8601 time with offset from a ``?at=``
    link, capped at the latest data); else the latest data ("live").
    """
    if replay_min:
        return latest + timedelta(minutes=int(replay_min)), "replay"
    if pinned:
        try:
            at = datetime.fromisoformat(pinned.strip().replace("Z", "+00:00").replace(" ", "+"))
        except ValueError:
            at = None
        if at is not None and at.tzinfo is not None:
            return min(at, latest), "replay link"
    return latest, "live"


def data_end(conn) -> datetime | None:
    """The latest time with detections or rain readings (the page's "now" for historical data)."""
    ends = [t for t in (crowd_q.detection_time_range(conn)[1], rain_q.reading_time_range(conn)[1]) if t is not None]
    return max(ends) if ends else None


def drainage_view(conn, at: datetime, hours: float = 6.0) -> DrainageView:
    """Flood states, recent transitions, rain and crews as of ``at``."""
    from hexops.services.flood import flood_layout

    states = q.states_at(conn, at)
    codes = {int(h): 0 for h in flood_layout(conn)["hexes"]}
    codes.update({int(h): STATES.index(s) for h, s in zip(states["h3"], states["state"])})
    alerts = q.list_transitions(conn, at - timedelta(hours=hours), at).sort_values("at", ascending=False)
    alerts["hex"] = [h3i.int_to_str(int(h)) for h in alerts["h3"]]
    rain = rain_q.latest_readings(conn, at, timedelta(minutes=30)).sort_values("mm_per_h", ascending=False)
    rain["rainstorm"] = rainstorm_level(rain["mm_per_h"].to_numpy(float)) if len(rain) else []
    _, plan = q.crew_plan_at(conn, at)
    if len(plan):
        plan = plan.assign(hex=[h3i.int_to_str(int(h)) for h in plan["h3"]])
    signal = rain["rainstorm"].iloc[0] if len(rain) else None
    return DrainageView(at=at, states=codes, alerts=alerts.reset_index(drop=True), rain=rain.reset_index(drop=True),
                        signal=None if signal is None or (isinstance(signal, float) and np.isnan(signal)) else signal,
                        crews=plan)
