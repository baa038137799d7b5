"""Flood states per H3 cell: rainfall levels, camera evidence and a state machine.

Each camera reports its road surface as dry, wet or flooded with a
confidence.  Per hex (H3 resolution chosen by the caller; the services use
9), the evidence is the number of cameras agreeing on *flooded* and on *wet*,
the heaviest rain measured nearby (mm/h) and whether the hex lies in a
low-lying or flood-prone place.  The evidence maps to a target level, and the
state machine moves toward it with hysteresis:

=========  =====================================================================
normal     nothing to see
watch      heavy rain nearby (Amber, > 30 mm/h), or moderate rain (> 15 mm/h)
           on a low-lying place
warning    one camera sees water without heavy rain to back it, or a wet road on
           a low-lying place in heavy rain, or Red rain on a low-lying place
flooded    at least two cameras agree on flooded, or one does with heavy rain
           nearby
receding   was flooded; the evidence has gone but not yet for long enough
=========  =====================================================================

A wet road in light rain is never more than normal.  Escalation is immediate
(a flood must not wait); stepping down needs the lower evidence to hold for
``hold_min`` minutes, and a flooded hex passes through *receding* for
``recede_min`` minutes before it is normal again, so a flickering detector
cannot make a hex flap.  Times are seconds since the epoch (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

STATES: tuple[str, ...] = ("normal", "watch", "warning", "flooded", "receding")
NORMAL, WATCH, WARNING, FLOODED, RECEDING = range(5)

#: Hong Kong Observatory rainstorm warning levels: hourly rainfall above
#: 30 (Amber), 50 (Red) and 70 (Black) mm/h.
RAINSTORM_LEVELS: tuple[tuple[str, float], ...] = (("amber", 30.0), ("red", 50.0), ("black", 70.0))

DRY, WET, FLOODED_WATER = 0, 1, 2


def rainstorm_level(mm_per_h: np.ndarray | float) -> np.ndarray:
    """HKO rainstorm level of rainfall rates (mm/h): None, 'amber', 'red' or 'black'."""
    rate = np.atleast_1d(np.asarray(mm_per_h, dtype=float))
    out = np.full(rate.shape, None, dtype=object)
    for name, bound in RAINSTORM_LEVELS:
        out[rate > bound] = name
    return out


@dataclass(frozen=True)
class FloodConfig:
    """Flood tuning.

    Attributes
    ----------
    min_confidence : float
        A camera's wet or flooded reading counts only at this confidence or more.
    heavy_rain_mm_h : float
        "Heavy rain nearby" (HKO Amber, mm/h).
    red_rain_mm_h : float
        HKO Red (mm/h).
    low_lying_watch_mm_h : float
        Rain that puts a low-lying place on watch (mm/h).
    hold_min : float
        Minutes lower evidence must hold before a state steps down.
    recede_min : float
        Minutes a receding hex must stay without flood evidence to be normal.
    rain_radius_m : float
        Gauges within this distance (EPSG:2326 metres) count as nearby.
    """

    min_confidence: float = 0.6
    heavy_rain_mm_h: float = 30.0
    red_rain_mm_h: float = 50.0
    low_lying_watch_mm_h: float = 15.0
    hold_min: float = 15.0
    recede_min: float = 30.0
    rain_radius_m: float = 3000.0


def camera_water(
    covered_s: np.ndarray, wet_s: np.ndarray, flooded_s: np.ndarray, confidence: np.ndarray,
    config: FloodConfig = FloodConfig(),
) -> np.ndarray:
    """Each camera's road surface over its latest minutes: DRY, WET or FLOODED_WATER.

    The surface is what the camera reported for most of the covered time
    (seconds); readings below ``config.min_confidence`` count as dry.
    """
    covered = np.maximum(np.asarray(covered_s, dtype=float), 1e-9)
    sure = np.asarray(confidence, dtype=float) >= config.min_confidence
    flooded = sure & (np.asarray(flooded_s) / covered >= 0.5)
    wet = sure & ((np.asarray(wet_s) + np.asarray(flooded_s)) / covered >= 0.5)
    return np.where(flooded, FLOODED_WATER, np.where(wet, WET, DRY)).astype(np.int8)


@dataclass(frozen=True)
class Evidence:
    """Per-hex evidence (arrays of one length, positional by hex)."""

    n_cameras: np.ndarray
    n_wet: np.ndarray
    n_flooded: np.ndarray
    rain_mm_h: np.ndarray
    low_lying: np.ndarray

    def row(self, i: int) -> dict:
        """The evidence of hex ``i`` as a JSON-ready dict (stored with each transition)."""
        rain = float(self.rain_mm_h[i])
        return {
            "n_cameras": int(self.n_cameras[i]), "n_wet": int(self.n_wet[i]),
            "n_flooded": int(self.n_flooded[i]), "rain_mm_h": round(rain, 1),
            "rainstorm": rainstorm_level(rain)[0], "low_lying": bool(self.low_lying[i]),
        }


def hex_evidence(
    camera_hex: np.ndarray, water: np.ndarray, n_hexes: int, rain_mm_h: np.ndarray, low_lying: np.ndarray,
) -> Evidence:
    """Count cameras by surface per hex (``camera_hex``: positional hex of each camera, -1 for none)."""
    on = np.asarray(camera_hex) >= 0
    idx = np.asarray(camera_hex)[on]
    w = np.asarray(water)[on]
    return Evidence(
        n_cameras=np.bincount(idx, minlength=n_hexes),
        n_wet=np.bincount(idx, weights=(w == WET).astype(float), minlength=n_hexes).astype(int),
        n_flooded=np.bincount(idx, weights=(w == FLOODED_WATER).astype(float), minlength=n_hexes).astype(int),
        rain_mm_h=np.asarray(rain_mm_h, dtype=float),
        low_lying=np.asarray(low_lying, dtype=bool),
    )


def target_levels(ev: Evidence, config: FloodConfig = FloodConfig()) -> tuple[np.ndarray, np.ndarray]:
    """The level (NORMAL..FLOODED) the evidence points to, and a short reason per hex."""
    heavy = ev.rain_mm_h > config.heavy_rain_mm_h
    red = ev.rain_mm_h > config.red_rain_mm_h
    low = ev.low_lying
    rules = [
        (FLOODED, ev.n_flooded >= 2, "two or more cameras see flooding"),
        (FLOODED, (ev.n_flooded >= 1) & heavy, "a camera sees flooding in heavy rain"),
        (WARNING, ev.n_flooded >= 1, "one camera sees flooding, no heavy rain to confirm"),
        (WARNING, low & heavy & (ev.n_wet >= 1), "wet road on a low-lying place in heavy rain"),
        (WARNING, low & red, "Red rain on a low-lying place"),
        (WATCH, heavy, "heavy rain nearby"),
        (WATCH, low & (ev.rain_mm_h > config.low_lying_watch_mm_h), "rain on a low-lying place"),
    ]
    level = np.zeros(len(ev.rain_mm_h), dtype=np.int8)
    reason = np.full(len(level), "no flood evidence", dtype=object)
    # Rules are checked weakest first so that the strongest matching one wins.
    for lvl, mask, why in reversed(rules):
        hit = mask & (lvl >= level)
        level = np.where(hit, lvl, level)
        reason = np.where(hit, why, reason)
    return level, reason


@dataclass(frozen=True)
class FloodStep:
    """New states after one step; ``changed`` marks the transitions to record."""

    state: np.ndarray
    lower_since: np.ndarray
    changed: np.ndarray
    reason: np.ndarray


def step_states(
    state: np.ndarray, lower_since: np.ndarray, target: np.ndarray, reason: np.ndarray, now_s: float,
    config: FloodConfig = FloodConfig(),
) -> FloodStep:
    """Advance every hex's state machine by one observation of its target level.

    Parameters
    ----------
    state : ndarray of int
        Current state codes (index into :data:`STATES`).
    lower_since : ndarray of float
        Since when (epoch seconds) the target has been below the state; NaN if not.
    target, reason : ndarray
        From :func:`target_levels`.
    now_s : float
        Observation time, seconds since the epoch (UTC).
    """
    state = np.asarray(state, dtype=np.int8)
    level = np.where(state == RECEDING, FLOODED, state)
    lower = target < level
    since = np.where(lower, np.where(np.isnan(lower_since), now_s, lower_since), np.nan)
    held = now_s - since
    new = state.copy()
    up = target > level
    new = np.where(up, target, new)
    # Back to flooded from receding: the water has returned.
    new = np.where((state == RECEDING) & (target == FLOODED), FLOODED, new)
    new = np.where((state == FLOODED) & lower & (held >= config.hold_min * 60.0), RECEDING, new)
    recede_done = (state == RECEDING) & lower & (held >= (config.hold_min + config.recede_min) * 60.0)
    new = np.where(recede_done, target, new)
    step_down = (state >= WATCH) & (state <= WARNING) & lower & (held >= config.hold_min * 60.0)
    new = np.where(step_down, target, new).astype(np.int8)
    changed = new != state
    # A state entered afresh starts its own hold; receding keeps counting from
    # when the water went.
    since = np.where(changed & (new != RECEDING), np.nan, since)
    why = np.where(new == RECEDING, "flood evidence gone", reason)
    return FloodStep(state=new, lower_since=since, changed=changed, reason=why)


def nearby_pairs(hex_xy_m: np.ndarray, gauge_xy_m: np.ndarray, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (hex, gauge) within ``radius_m``, plus each hex's nearest gauge (EPSG:2326 metres).

    Computed once per layout; :func:`nearby_rain` uses it every refresh.
    """
    if len(gauge_xy_m) == 0 or len(hex_xy_m) == 0:
        return np.zeros(0, int), np.zeros(0, int)
    tree = cKDTree(gauge_xy_m)
    close = tree.query_ball_point(hex_xy_m, r=radius_m)
    h = np.repeat(np.arange(len(hex_xy_m)), [len(c) for c in close])
    g = np.fromiter((j for c in close for j in c), dtype=int, count=len(h))
    _, nearest = tree.query(hex_xy_m, k=1)
    return np.concatenate([h, np.arange(len(hex_xy_m))]), np.concatenate([g, np.asarray(nearest, dtype=int)])


def nearby_rain(pair_hex: np.ndarray, pair_gauge: np.ndarray, gauge_mm_h: np.ndarray, n_hexes: int) -> np.ndarray:
    """Heaviest latest rainfall (mm/h) among each hex's nearby gauges (NaN readings ignored)."""
    out = np.zeros(n_hexes)
    if len(pair_hex):
        np.maximum.at(out, pair_hex, np.nan_to_num(np.asarray(gauge_mm_h, dtype=float)[pair_gauge]))
    return out


def flood_refresh(
    camera_hex: np.ndarray,
    n_hexes: int,
    covered_s: np.ndarray,
    wet_s: np.ndarray,
    flooded_s: np.ndarray,
    confidence: np.ndarray,
    rain_pairs: tuple[np.ndarray, np.ndarray],
    gauge_mm_h: np.ndarray,
    low_lying: np.ndarray,
    state: np.ndarray,
    lower_since: np.ndarray,
    now_s: float,
    config: FloodConfig = FloodConfig(),
) -> tuple[FloodStep, Evidence, np.ndarray]:
    """One city-wide refresh: camera surfaces, hex evidence, targets and the state step.

    Per-camera arrays are positional and aligned with ``camera_hex``;
    ``rain_pairs`` comes from :func:`nearby_pairs`.  Returns the step, the
    evidence (for recording transitions) and the target levels.
    """
    water = camera_water(covered_s, wet_s, flooded_s, confidence, config)
    rain = nearby_rain(rain_pairs[0], rain_pairs[1], gauge_mm_h, n_hexes)
    ev = hex_evidence(camera_hex, water, n_hexes, rain, low_lying)
    target, reason = target_levels(ev, config)
    return step_states(state, lower_since, target, reason, now_s, config), ev, target
