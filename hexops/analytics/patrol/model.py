"""What a patrol plan is made of: its settings, candidates, visits and checks."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class PatrolParams:
    """Settings of one shift's plan.

    Parameters
    ----------
    units : int
        Patrol units on shift.
    shift_minutes : float
        Shift length; every tour starts and ends at its unit's base within it.
    visit_min, visit_max : int
        Visit length bounds in minutes (the Koper curve: 12-16 minutes of
        presence give the longest residual deterrence).
    revisit_interval_minutes : float
        Least time between the end of one visit to a hex and the start of the next.
    max_visits_per_hex : int
        Attention cap: visits one hex may get in a shift, so patrols are not
        concentrated (and the data they generate not skewed) on a few hexes.
    speed_kmh, detour : float
        Travel speed and the road-distance / straight-line ratio.
    holdout_pool_share, holdout_share : float
        The top ``holdout_pool_share`` of candidates by risk form the
        high-risk pool; ``holdout_share`` of that pool, drawn at random, gets
        no patrol so the plan's effect can be measured against it.
    visit_effect : float
        Share of a hex's remaining expected incidents one visit covers; the
        k-th visit covers ``risk * visit_effect * (1 - visit_effect) ** (k-1)``.
    seed : int
        Seed of every random choice (hold-out, visit order, visit lengths).
    """

    units: int
    shift_minutes: float = 480.0
    visit_min: int = 12
    visit_max: int = 16
    revisit_interval_minutes: float = 90.0
    max_visits_per_hex: int = 3
    speed_kmh: float = 20.0
    detour: float = 1.3
    holdout_pool_share: float = 0.2
    holdout_share: float = 0.1
    visit_effect: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        problems = []
        if self.units < 1:
            problems.append("units must be at least 1")
        if not 12 <= self.visit_min <= self.visit_max <= 16:
            problems.append("visit lengths must satisfy 12 <= visit_min <= visit_max <= 16 minutes")
        if self.shift_minutes <= self.visit_max:
            problems.append("the shift must be longer than one visit")
        if self.max_visits_per_hex < 1:
            problems.append("max_visits_per_hex must be at least 1")
        if not (0 <= self.holdout_share < 1 and 0 < self.holdout_pool_share <= 1):
            problems.append("holdout shares must be in [0, 1)")
        if not 0 < self.visit_effect <= 1:
            problems.append("visit_effect must be in (0, 1]")
        if self.speed_kmh <= 0 or self.detour < 1:
            problems.append("speed must be positive and detour at least 1")
        if problems:
            raise ValueError("; ".join(problems))

    def visits_allowed(self) -> int:
        """Visits to one hex that fit in a shift given the cap and the revisit interval."""
        span = self.revisit_interval_minutes + self.visit_max
        fit = 1 + int((self.shift_minutes - self.visit_max) // span)
        return max(1, min(self.max_visits_per_hex, fit))

    def slot_values(self, risk: np.ndarray) -> np.ndarray:
        """Value of visit k (columns) to each hex (rows): expected incidents it covers."""
        k = np.arange(self.visits_allowed())
        return risk[:, None] * self.visit_effect * (1 - self.visit_effect) ** k[None, :]


def travel_minutes(lat1, lon1, lat2, lon2, params: PatrolParams) -> np.ndarray:
    """Travel time in minutes between WGS84 points (great circle x detour / speed)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    return km * params.detour / params.speed_kmh * 60.0


@dataclass
class PatrolPlan:
    """A shift's plan.

    Attributes
    ----------
    visits : pandas.DataFrame
        One row per visit: ``unit`` (0-based), ``seq``, ``cell`` (H3 int64),
        ``start_min``/``end_min`` (minutes from shift start), ``travel_min``
        (from the previous stop), ``expected`` (incidents the visit covers).
    bases : pandas.DataFrame
        ``unit``, ``lat``, ``lon``: where each tour starts and ends (WGS84).
    holdout : numpy.ndarray of int64
        High-risk cells held out of the plan for effect measurement.
    candidates : pandas.DataFrame
        The input: ``cell``, ``lat``, ``lon``, ``risk``.
    objective : float
        Expected incidents covered by the chosen visits.
    dropped : int
        Chosen visits that the random order could not fit (waiting out the
        revisit interval at the end of a shift).
    """

    params: PatrolParams
    visits: pd.DataFrame
    bases: pd.DataFrame
    holdout: np.ndarray
    candidates: pd.DataFrame
    objective: float
    dropped: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def treated(self) -> np.ndarray:
        return np.unique(self.visits["cell"].to_numpy(dtype=np.int64))
