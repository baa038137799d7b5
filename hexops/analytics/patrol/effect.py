"""Did patrols change anything?  Treated against held-out high-risk hexes.

Held-out hexes were drawn at random from the same high-risk pool as the
patrolled ones, so over many shifts the ratio of observed to forecast
incidents should differ between the groups only through the patrols.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def effect_report(hexes: pd.DataFrame, observed: pd.Series, dosage_min: pd.Series) -> dict:
    """Compare observed with expected incidents in treated and held-out hexes.

    Parameters
    ----------
    hexes : pandas.DataFrame
        ``cell``, ``role`` (``treated`` or ``holdout``), ``expected`` (the
        forecast incidents for the plans' shifts).
    observed : pandas.Series
        Incidents reported by the public in each cell during those shifts
        (indexed by cell).  Patrol-found incidents are left out: patrols
        find more where they go, which would bias the comparison.
    dosage_min : pandas.Series
        Minutes of reported patrol presence per cell.

    Returns
    -------
    dict
        Per role: hexes, expected, observed, ratio (observed / expected),
        dosage minutes; and ``rate_ratio`` (treated ratio / held-out ratio)
        with a 95% interval from the Poisson counts (log scale).
    """
    frame = hexes.copy()
    frame["observed"] = frame["cell"].map(observed).fillna(0.0)
    frame["dosage_min"] = frame["cell"].map(dosage_min).fillna(0.0)
    out: dict = {}
    for role in ("treated", "holdout"):
        part = frame[frame["role"] == role]
        expected = float(part["expected"].sum())
        obs = float(part["observed"].sum())
        out[role] = {
            "hexes": int(len(part)),
            "expected": round(expected, 3),
            "observed": obs,
            "ratio": round(obs / expected, 3) if expected > 0 else None,
            "dosage_min": round(float(part["dosage_min"].sum()), 1),
        }
    t, h = out["treated"], out["holdout"]
    if t["ratio"] and h["ratio"] and t["observed"] > 0 and h["observed"] > 0:
        rr = t["ratio"] / h["ratio"]
        se = np.sqrt(1 / t["observed"] + 1 / h["observed"])
        out["rate_ratio"] = round(rr, 3)
        out["rate_ratio_95"] = [round(rr * np.exp(-1.96 * se), 3), round(rr * np.exp(1.96 * se), 3)]
    else:
        out["rate_ratio"] = None
        out["rate_ratio_95"] = None
    return out
