"""Building a shift's patrol plan: hold-out, selection, tours."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from hexops.analytics.patrol.model import PatrolParams, PatrolPlan
from hexops.analytics.patrol.schedule import empty_visits, schedule_unit
from hexops.analytics.patrol.solve import plan_value, solve_sectors, unit_bases


def choose_holdout(candidates: pd.DataFrame, params: PatrolParams, rng: np.random.Generator) -> np.ndarray:
    """A random share of the high-risk pool that gets no patrol this shift."""
    n_pool = int(np.ceil(params.holdout_pool_share * len(candidates)))
    n_hold = int(round(params.holdout_share * n_pool))
    if n_hold == 0:
        return np.zeros(0, dtype=np.int64)
    pool = candidates.sort_values("risk", ascending=False)["cell"].to_numpy(dtype=np.int64)[:n_pool]
    return np.sort(rng.choice(pool, size=n_hold, replace=False))


def make_plan(candidates: pd.DataFrame, params: PatrolParams) -> PatrolPlan:
    """The plan for one district and shift.

    Parameters
    ----------
    candidates : pandas.DataFrame
        ``cell`` (H3 int64), ``lat``, ``lon`` (cell centre, WGS84) and
        ``risk`` (expected incidents in the shift, from the forecast).
    params : PatrolParams

    Returns
    -------
    PatrolPlan
        Tours that respect every rule in ``params``; ``check_plan`` verifies them.
    """
    missing = {"cell", "lat", "lon", "risk"} - set(candidates.columns)
    if missing:
        raise ValueError(f"candidates lack column(s) {sorted(missing)}")
    if candidates["cell"].duplicated().any():
        raise ValueError("candidates list a cell twice")
    if (candidates["risk"] < 0).any() or candidates["risk"].isna().any():
        raise ValueError("candidate risk must be a non-negative number")
    timings: dict[str, float] = {}
    rng = np.random.default_rng(params.seed)
    started = time.perf_counter()
    candidates = candidates.reset_index(drop=True)
    holdout = choose_holdout(candidates, params, rng)
    eligible = candidates[~candidates["cell"].isin(holdout)].reset_index(drop=True)
    lat = eligible["lat"].to_numpy(dtype=float)
    lon = eligible["lon"].to_numpy(dtype=float)
    risk = eligible["risk"].to_numpy(dtype=float)
    if len(eligible) == 0:
        bases = np.tile([candidates["lat"].mean(), candidates["lon"].mean()], (params.units, 1))
        return PatrolPlan(params, empty_visits(), _bases_frame(bases), holdout, candidates, 0.0)
    bases = unit_bases(lat, lon, risk, params.units, params.seed)
    timings["bases_s"] = time.perf_counter() - started
    unit_of, visits_per_hex = solve_sectors(lat, lon, risk, bases, params)
    timings["select_s"] = time.perf_counter() - started - timings["bases_s"]
    values = params.slot_values(risk)
    rows: list[dict] = []
    dropped = 0
    for u in range(params.units):
        idx = np.flatnonzero((unit_of == u) & (visits_per_hex > 0))
        reps = visits_per_hex[idx]
        hexes = np.repeat(idx, reps)
        slot = np.concatenate([np.arange(r) for r in reps]) if len(reps) else np.zeros(0, dtype=int)
        tour, lost = schedule_unit(
            u, (float(bases[u, 0]), float(bases[u, 1])), eligible["cell"].to_numpy(dtype=np.int64)[hexes],
            lat[hexes], lon[hexes], values[hexes, slot], params, rng,
        )
        rows.extend(tour)
        dropped += lost
    visits = pd.DataFrame(rows) if rows else empty_visits()
    timings["total_s"] = time.perf_counter() - started
    objective = plan_value(_visit_counts(visits, eligible["cell"]), risk, params)
    return PatrolPlan(params, visits, _bases_frame(bases), holdout, candidates, objective, dropped, timings)


def _visit_counts(visits: pd.DataFrame, cells: pd.Series) -> np.ndarray:
    counts = visits["cell"].value_counts()
    return cells.map(counts).fillna(0).to_numpy(dtype=int)


def _bases_frame(bases: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"unit": np.arange(len(bases)), "lat": bases[:, 0], "lon": bases[:, 1]})
