"""Drainage crew deployment: which crew goes to which flooded hex, and in what order.

The model.  Each crew works one flooded hex at a time and returns to its
depot between jobs (to restock pumps and sandbags).  A job's response time
is the crew's wait until free, plus the travel from where it is, plus (for
its later jobs) the cycle of the jobs before.  The plan minimises the sum of
severity x response time over all flooded hexes.

Each crew offers ``slots`` positions in its queue; slot ``j`` of crew ``k``
costs ``severity_h * (free_k + travel_kh + j * cycle_k)`` where ``cycle_k``
is the crew's typical job length (service time plus a round trip of its
median distance).  Assigning hexes to (crew, slot) columns is then a linear
assignment problem, solved exactly by SciPy's ``linear_sum_assignment``
(the later slots' cycle is an estimate; the first jobs are exact).  Hexes
beyond every crew's queue stay unassigned and are reported as such.

Re-planning is a fresh solve on the current flooded hexes: a crew already
on site keeps its hex while that hex is still flooded (``busy_at``), so
receding floods free crews and new floods are picked up without sending a
working crew away mid-job.

Distances are straight lines in HK1980 Grid (EPSG:2326, metres) times a
road detour factor; speeds are km/h; times are minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment


@dataclass(frozen=True)
class CrewConfig:
    """Crew tuning.

    Attributes
    ----------
    speed_kmh : float
        Mean road speed of a crew's truck in a storm.
    detour : float
        Road distance over straight-line distance.
    service_min : float
        Minutes on site per job.
    slots : int
        Jobs each crew may be queued (1 = next job only).
    """

    speed_kmh: float = 25.0
    detour: float = 1.4
    service_min: float = 45.0
    slots: int = 3


def travel_minutes(from_xy_m: np.ndarray, to_xy_m: np.ndarray, config: CrewConfig = CrewConfig()) -> np.ndarray:
    """Travel minutes from every origin to every destination (EPSG:2326 metres in)."""
    a = np.asarray(from_xy_m, dtype=float)[:, None, :]
    b = np.asarray(to_xy_m, dtype=float)[None, :, :]
    metres = np.sqrt(((a - b) ** 2).sum(axis=2)) * config.detour
    return metres / (config.speed_kmh * 1000.0 / 60.0)


def plan_crews(
    crews: pd.DataFrame, floods: pd.DataFrame, config: CrewConfig = CrewConfig()
) -> pd.DataFrame:
    """Assign crews to flooded hexes minimising severity-weighted response time.

    Parameters
    ----------
    crews : pandas.DataFrame
        ``crew_id``, ``depot_x``, ``depot_y`` (EPSG:2326 m), optional
        ``busy_at`` (the hex a crew is working, or NaN/None) and
        ``free_in_min`` (minutes until it can leave, default 0).
    floods : pandas.DataFrame
        ``h3`` (int64), ``x``, ``y`` (EPSG:2326 m of the hex centre),
        ``severity`` (> 0; larger is worse).

    Returns
    -------
    pandas.DataFrame
        One row per flooded hex: ``h3``, ``crew_id`` (None when no crew is
        free for it), ``order`` (0 = the crew's current or next job),
        ``eta_min`` and ``weighted_min`` (severity x eta).
    """
    floods = floods.reset_index(drop=True)
    out = pd.DataFrame({"h3": floods["h3"].to_numpy(dtype=np.int64), "crew_id": None,
                        "order": np.nan, "eta_min": np.nan, "weighted_min": np.nan})
    if floods.empty or crews.empty:
        return out
    crews = crews.reset_index(drop=True)
    busy = crews["busy_at"] if "busy_at" in crews else pd.Series([None] * len(crews))
    free_in = crews["free_in_min"].fillna(0).to_numpy(float) if "free_in_min" in crews else np.zeros(len(crews))
    sev = floods["severity"].to_numpy(float)

    # Crews on site keep a hex that is still flooded.
    kept: dict[int, int] = {}
    flood_row = {int(h): i for i, h in enumerate(floods["h3"])}
    for k, h in enumerate(busy):
        if h is not None and not pd.isna(h) and int(h) in flood_row:
            kept[flood_row[int(h)]] = k
    for i, k in kept.items():
        out.loc[i, ["crew_id", "order", "eta_min", "weighted_min"]] = [crews.loc[k, "crew_id"], 0, 0.0, 0.0]

    open_hex = np.array([i for i in range(len(floods)) if i not in kept], dtype=int)
    if len(open_hex) == 0:
        return out
    depots = crews[["depot_x", "depot_y"]].to_numpy(float)
    travel = travel_minutes(depots, floods.loc[open_hex, ["x", "y"]].to_numpy(float), config)  # crews x hexes
    cycle = config.service_min + 2.0 * np.median(travel, axis=1)
    # A kept crew's queue starts after its current job.
    start = free_in + np.array([config.service_min if k in kept.values() else 0.0 for k in range(len(crews))])
    first_slot = np.array([1 if k in kept.values() else 0 for k in range(len(crews))])
    cols_crew, cols_slot = [], []
    for k in range(len(crews)):
        for j in range(first_slot[k], first_slot[k] + config.slots):
            cols_crew.append(k)
            cols_slot.append(j)
    cols_crew_a, cols_slot_a = np.array(cols_crew), np.array(cols_slot)
    offset = start[cols_crew_a] + (cols_slot_a - first_slot[cols_crew_a]) * cycle[cols_crew_a]
    eta = travel[cols_crew_a, :].T + offset[None, :]  # hexes x columns
    # One "no crew" column per hex, dearer than any real slot, so that when
    # floods outnumber the queues it is the least severe hexes that wait.
    no_crew = np.full((len(open_hex), len(open_hex)), 10.0 * (float(eta.max()) + 1.0))
    cost = sev[open_hex, None] * np.hstack([eta, no_crew])
    rows, cols = linear_sum_assignment(cost)
    for r, c in zip(rows, cols):
        if c >= eta.shape[1]:
            continue
        i = open_hex[r]
        out.loc[i, ["crew_id", "order", "eta_min", "weighted_min"]] = [
            crews.loc[cols_crew_a[c], "crew_id"], int(cols_slot_a[c]), float(eta[r, c]), float(sev[i] * eta[r, c])]
    return out


def severity(state_level: np.ndarray, n_flooded: np.ndarray, rain_mm_h: np.ndarray, low_lying: np.ndarray) -> np.ndarray:
    """A flooded hex's severity weight (dimensionless, >= 1).

    More cameras seeing water, heavier rain and a low-lying place make a
    hex more urgent; the weights are a planning convention, documented in
    docs/crowds-floods.md.
    """
    return (
        1.0
        + 0.5 * np.minimum(np.asarray(n_flooded, float), 6)
        + np.asarray(rain_mm_h, float) / 50.0
        + 0.5 * np.asarray(low_lying, float)
    ) * np.where(np.asarray(state_level) >= 3, 1.0, 0.5)
