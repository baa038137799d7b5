"""Turning each unit's chosen visits into a timed tour in random order.

The order is random so that patrols are not predictable; a visit to a hex
waits until the revisit interval since its last visit has passed; each
visit lasts a random whole number of minutes in the Koper range.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hexops.analytics.patrol.model import PatrolParams, travel_minutes


def schedule_unit(
    unit: int,
    base: tuple[float, float],
    cells: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    value: np.ndarray,
    params: PatrolParams,
    rng: np.random.Generator,
) -> tuple[list[dict], int]:
    """One unit's tour.

    Parameters
    ----------
    cells, lat, lon, value : numpy.ndarray
        One entry per chosen visit (a hex appears once per visit), with the
        expected incidents each covers.

    Returns
    -------
    visits : list of dict
        ``unit, seq, cell, start_min, end_min, travel_min, expected``.
    dropped : int
        Visits that could not end (and return to base) within the shift.
    """
    remaining = list(range(len(cells)))
    last_end: dict[int, float] = {}
    here = base
    now = 0.0
    out: list[dict] = []
    dropped = 0
    while remaining:
        travel = travel_minutes(here[0], here[1], lat[remaining], lon[remaining], params)
        ready = np.array([
            last_end.get(int(cells[i]), -np.inf) + params.revisit_interval_minutes for i in remaining
        ])
        arrival = np.maximum(now + travel, ready)
        eligible = np.flatnonzero(now + travel >= ready)
        # Random order among the hexes that need no waiting; otherwise the one ready soonest.
        pick = int(rng.choice(eligible)) if len(eligible) else int(np.argmin(arrival))
        i = remaining.pop(pick)
        start = float(arrival[pick])
        minutes = int(rng.integers(params.visit_min, params.visit_max + 1))
        back = float(travel_minutes(lat[i], lon[i], base[0], base[1], params))
        if start + minutes + back > params.shift_minutes:
            dropped += 1
            continue
        out.append({
            "unit": unit, "seq": len(out), "cell": int(cells[i]), "start_min": start,
            "end_min": start + minutes, "travel_min": float(travel[pick]), "expected": float(value[i]),
        })
        last_end[int(cells[i])] = start + minutes
        now = start + minutes
        here = (float(lat[i]), float(lon[i]))
    return out, dropped


def empty_visits() -> pd.DataFrame:
    return pd.DataFrame({
        "unit": pd.Series(dtype=int), "seq": pd.Series(dtype=int), "cell": pd.Series(dtype=np.int64),
        "start_min": pd.Series(dtype=float), "end_min": pd.Series(dtype=float),
        "travel_min": pd.Series(dtype=float), "expected": pd.Series(dtype=float),
    })
