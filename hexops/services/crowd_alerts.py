"""The crowd alert machine: one step every 5 minutes over every zone and crowd hex.

Each region (an event zone, or an H3 resolution-10 crowd hex) has one
machine per threshold (people/m2 of visible ground): raised when the density
reaches it, or when its projection reaches it within the horizon twice in a
row; cleared after it stays clearly below for ``clear_after_min``.  The
stepping (lock, cursor, commit per step) is :mod:`hexops.services.stepping`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from hexops.analytics.crowd import (
    AlertConfig,
    CrowdLayout,
    crowd_snapshot,
    minutes_to_thresholds,
    step_alerts,
    trend_slopes,
)
from hexops.geodata.uow import UnitOfWork
from hexops.services import stepping
from hexops.services.crowd import KINDS, STEP, load_layouts, region_history

#: Minutes of the two trend points before a step (the last two 5-minute windows).
_HISTORY_MIN = np.array([-2 * STEP.total_seconds() / 60, -STEP.total_seconds() / 60])


@dataclass
class RegionAlerts:
    """The alert machines of one kind of region (regions x thresholds arrays).

    Attributes
    ----------
    open : ndarray of bool
        An alert is open.
    below_since : ndarray of float
        Seconds since the epoch since the density has been clearly below; NaN when not.
    alert_id : ndarray of int64
        The open alert's id (0 when none).
    peak : ndarray of float
        The open alert's highest density so far (people/m2).
    projected : ndarray of bool
        Whether the last step's projection reached the threshold (for persistence).
    history : list of ndarray
        The densities of the last two steps (people/m2), oldest first.
    """

    open: np.ndarray
    below_since: np.ndarray
    alert_id: np.ndarray
    peak: np.ndarray
    projected: np.ndarray
    history: list[np.ndarray]

    @classmethod
    def closed(cls, n_regions: int, n_thresholds: int) -> "RegionAlerts":
        shape = (n_regions, n_thresholds)
        return cls(np.zeros(shape, bool), np.full(shape, np.nan), np.zeros(shape, np.int64),
                   np.zeros(shape), np.zeros(shape, bool), [])


def restore_open_alerts(open_alerts: pd.DataFrame, layouts: dict[str, CrowdLayout],
                        thresholds: tuple[float, ...]) -> dict[str, RegionAlerts]:
    """The machines' state per region kind, rebuilt from the stored open alerts (resuming a run).

    Missing ``below_since`` or ``peak_density`` may arrive as None or NaT/NaN
    (pandas turns None into NaT in a column that also holds times); alerts of
    regions or thresholds that no longer exist are ignored.
    """
    state = {kind: RegionAlerts.closed(len(layouts[kind].regions), len(thresholds)) for kind in KINDS}
    column = {float(t): j for j, t in enumerate(thresholds)}
    for row in open_alerts.itertuples():
        if row.region_kind not in layouts:
            continue
        i = layouts[row.region_kind].regions.get_indexer([row.region_id])[0]
        j = column.get(float(row.threshold), -1)
        if i < 0 or j < 0:
            continue
        s = state[row.region_kind]
        s.open[i, j] = True
        s.below_since[i, j] = pd.Timestamp(row.below_since).timestamp() if pd.notna(row.below_since) else np.nan
        s.alert_id[i, j] = row.alert_id
        s.peak[i, j] = float(row.peak_density) if pd.notna(row.peak_density) else 0.0
    return state


class CrowdMachine:
    """The crowd alert machine (see the module docstring).

    Parameters
    ----------
    thresholds : tuple of float
        Alert levels, people/m2 of visible ground.
    config : AlertConfig
        Horizon, hysteresis and clearing time.
    """

    name = "crowd"

    def __init__(self, thresholds: tuple[float, ...], config: AlertConfig):
        self.thresholds = tuple(float(t) for t in thresholds)
        self.config = config
        self.layouts: dict[str, CrowdLayout] = {}
        self.state: dict[str, RegionAlerts] = {}

    def first_time(self, uow: UnitOfWork) -> datetime | None:
        return uow.crowd.detection_time_range()[0]

    def version(self, uow: UnitOfWork) -> tuple:
        """What the loaded layout depends on: the cameras and the calibration (a kept machine reloads when they change)."""
        inputs = uow.jobs.machine_inputs()
        return inputs["cameras"], inputs["crowd_regions"]

    def load(self, uow: UnitOfWork, cursor: datetime) -> None:
        self.layouts = load_layouts(uow)
        self.state = restore_open_alerts(uow.crowd.open_crowd_alerts(), self.layouts, self.thresholds)
        history = region_history(uow, self.layouts, cursor, 3)
        for kind in KINDS:
            # Whether each projection already reached its threshold at the cursor (for persistence).
            slope = trend_slopes(np.append(_HISTORY_MIN, 0.0), np.column_stack(history[kind]))
            eta = minutes_to_thresholds(history[kind][-1], slope, self.thresholds)
            self.state[kind].projected = eta <= self.config.horizon_min
            self.state[kind].history = history[kind][-2:]

    def step(self, uow: UnitOfWork, t: datetime) -> dict[str, int]:
        latest = uow.crowd.latest_camera_counts(t, STEP)
        raised = cleared = 0
        for kind in KINDS:
            s = self.state[kind]
            est, eta = crowd_snapshot(self.layouts[kind], latest, _HISTORY_MIN, np.column_stack(s.history[-2:]),
                                      self.thresholds)
            density = est["density"].to_numpy()
            s.history = s.history[-1:] + [density]
            step = step_alerts(s.open, s.below_since, density, eta, self.thresholds, t.timestamp(), self.config,
                               projected_before=s.projected)
            raised += self._write(uow, kind, step, density, t)
            cleared += int(step.cleared.sum())
            s.open, s.below_since, s.projected = step.open, step.below_since, step.projected
        return {"raised": raised, "cleared": cleared}

    def _write(self, uow: UnitOfWork, kind: str, step, density: np.ndarray, t: datetime) -> int:
        """Persist one step's raises, clears and the open alerts' hold and peak."""
        s, regions = self.state[kind], self.layouts[kind].regions
        dens2 = np.repeat(np.nan_to_num(density)[:, None], len(self.thresholds), axis=1)
        for i, j in zip(*np.nonzero(step.raised)):
            s.alert_id[i, j] = uow.crowd.insert_crowd_alert(kind, str(regions[i]), self.thresholds[j],
                                                           str(step.cause[i, j]), t, float(dens2[i, j]))
            s.peak[i, j] = dens2[i, j]
        carried = s.open & ~step.raised
        same_hold = (np.isnan(step.below_since) & np.isnan(s.below_since)) | (step.below_since == s.below_since)
        changed = carried & ((dens2 > s.peak) | step.cleared | ~same_hold)
        rows = []
        for i, j in zip(*np.nonzero(changed)):
            below = step.below_since[i, j]
            s.peak[i, j] = max(s.peak[i, j], dens2[i, j])
            rows.append((int(s.alert_id[i, j]), None if np.isnan(below) else datetime.fromtimestamp(below, t.tzinfo),
                         float(s.peak[i, j]), t if step.cleared[i, j] else None))
        uow.crowd.update_crowd_alerts(rows)
        return int(step.raised.sum())


def advance_alerts(uow: UnitOfWork, until: datetime, *, thresholds: tuple[float, ...], config: AlertConfig,
                   start: datetime | None = None, max_steps: int | None = None,
                   progress=None) -> stepping.StepReport:
    """Step the crowd machine from its cursor to ``until`` (see :func:`hexops.services.stepping.advance`)."""
    return stepping.advance(uow, CrowdMachine(thresholds, config), until, start=start, max_steps=max_steps,
                            progress=progress)
