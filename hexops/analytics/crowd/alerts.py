"""The crowd alert state machine: raise once, acknowledge, clear after a hold.

Every (region, threshold) pair is one machine with two stored facts: whether
an alert is open, and since when the value has been clearly below (NaN while
it is not).  A step is vectorised over all pairs:

- *raise*: no open alert, and the density is at or above the threshold, or
  its projection has reached it within ``horizon_min`` minutes in this step
  and the one before (a trend fitted on three noisy points must persist
  before it calls anyone; a real crossing raises at once);
- *hold*: an open alert stays open while the value is above the lower
  hysteresis line ``threshold * (1 - hysteresis)`` or the projection still
  reaches the threshold within the horizon;
- *clear*: the value has stayed below that line (and the projection
  beyond the horizon) for ``clear_after_min`` minutes.

Acknowledgement is a user's act recorded on the open alert; it does not
change when the alert clears.  Times are seconds since the epoch (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AlertConfig:
    """Alert tuning.

    Attributes
    ----------
    horizon_min : float
        A projection reaching the threshold within this many minutes raises.
    hysteresis : float
        Fraction below the threshold the value must fall to count as below.
    clear_after_min : float
        Minutes the value must stay below before the alert clears.
    """

    horizon_min: float = 10.0
    hysteresis: float = 0.10
    clear_after_min: float = 10.0


@dataclass(frozen=True)
class AlertStep:
    """The outcome of one step over n regions x k thresholds.

    Attributes
    ----------
    open, below_since : ndarray
        The new state (bool; float seconds or NaN).
    raised, cleared : ndarray of bool
        Which machines raised or cleared an alert in this step.
    cause : ndarray of object
        For raised alerts, ``'density'`` or ``'projection'``; else None.
    projected : ndarray of bool
        Where the projection reached the threshold within the horizon in this
        step: the next step's ``projected_before``.
    """

    open: np.ndarray
    below_since: np.ndarray
    raised: np.ndarray
    cleared: np.ndarray
    cause: np.ndarray
    projected: np.ndarray


def step_alerts(
    is_open: np.ndarray,
    below_since: np.ndarray,
    density: np.ndarray,
    minutes_to: np.ndarray,
    thresholds: tuple[float, ...],
    now_s: float,
    config: AlertConfig = AlertConfig(),
    projected_before: np.ndarray | None = None,
) -> AlertStep:
    """Advance every machine by one observation.

    Parameters
    ----------
    is_open : ndarray of bool, regions x thresholds
    below_since : ndarray of float, regions x thresholds
        Seconds since the epoch, NaN when not below.
    density : ndarray of float, regions
        Current density (people/m2); NaN when no camera reports (then
        nothing is raised and open alerts neither hold nor start clearing).
    minutes_to : ndarray of float, regions x thresholds
        From :func:`analytics.crowd.density.minutes_to_thresholds`.
    thresholds : tuple of float
        People per m2.
    now_s : float
        Time of the observation (seconds since the epoch, UTC).
    config : AlertConfig
    projected_before : ndarray of bool, regions x thresholds, optional
        ``AlertStep.projected`` of the previous step; None when unknown (the
        first step of a run), in which case a projection alone raises nothing.
    """
    thr = np.asarray(thresholds, dtype=float)[None, :]
    dens = np.asarray(density, dtype=float)[:, None]
    known = ~np.isnan(dens)
    at_or_above = known & (dens >= thr)
    projected = known & (np.asarray(minutes_to) <= config.horizon_min)
    persisted = projected & (np.zeros_like(projected) if projected_before is None
                             else np.asarray(projected_before, dtype=bool))
    trigger = at_or_above | persisted
    clearly_below = known & (dens < thr * (1.0 - config.hysteresis)) & ~projected

    was_open = np.asarray(is_open, dtype=bool)
    below = np.asarray(below_since, dtype=float)
    raised = ~was_open & trigger
    started_below = np.where(np.isnan(below), now_s, below)
    below_new = np.where(was_open & clearly_below, started_below, np.nan)
    # An unknown value (camera gap) neither resets nor advances the hold.
    below_new = np.where(was_open & ~known, below, below_new)
    cleared = was_open & clearly_below & (now_s - started_below >= config.clear_after_min * 60.0)
    open_new = (was_open & ~cleared) | raised
    below_new = np.where(open_new, below_new, np.nan)
    cause = np.where(raised, np.where(at_or_above, "density", "projection"), None).astype(object)
    return AlertStep(open=open_new, below_since=below_new, raised=raised, cleared=cleared, cause=cause,
                     projected=projected)
