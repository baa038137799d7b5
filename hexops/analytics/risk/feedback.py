"""The feedback-loop guard: incidents found by patrols count less where the model sent patrols.

Patrols find incidents where they are sent; if those finds train the next
forecast at full weight, the model sends more patrols there, finds more, and
runs away from the true rates (Ensign et al. 2018, "Runaway feedback loops
in predictive policing"; Lum and Isaac 2016).  Ensign et al.'s remedy is to
accept a discovered incident with a probability inversely proportional to
how likely the region was to be patrolled.  hexops applies it as a weight:
an incident a patrol found in cell ``c`` counts

    w = min(1, p_ref / p_c)

where ``p_c`` is the share of recent shifts in which a plan sent a patrol
to ``c`` and ``p_ref`` is a reference rate (by default the median ``p_c``
over the cells patrolled at all).  Cells patrolled no more than usual keep
full weight; cells the model kept sending patrols to are discounted in
proportion.  Incidents reported by the public are never discounted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def patrol_probability(shifts_with_visit: pd.Series, plans: int) -> pd.Series:
    """Share of ``plans`` in which each cell (index) had a planned visit (0..1)."""
    if plans <= 0:
        return pd.Series(dtype=float)
    return (shifts_with_visit.astype(float) / plans).clip(0.0, 1.0)


def discount_weights(events: pd.DataFrame, probability: pd.Series, reference: float | None = None) -> np.ndarray:
    """Training weight of each incident.

    Parameters
    ----------
    events : pandas.DataFrame
        ``cell`` (H3 int64) and ``source`` (``public`` or ``patrol``).
    probability : pandas.Series
        Patrol probability per cell (index: cell), from :func:`patrol_probability`.
    reference : float, optional
        ``p_ref``; default the median of the non-zero probabilities.

    Returns
    -------
    numpy.ndarray of float in (0, 1], one per incident.
    """
    weights = np.ones(len(events))
    positive = probability[probability > 0]
    if positive.empty:
        return weights
    p_ref = float(positive.median()) if reference is None else float(reference)
    found = (events["source"] == "patrol").to_numpy()
    p = events["cell"].map(probability).fillna(0.0).to_numpy(dtype=float)
    guarded = found & (p > p_ref)
    weights[guarded] = p_ref / p[guarded]
    return weights
