"""The naive baselines every backtest shows: counting last year's incidents, and recent ones.

A forecast is worth its cost only if it beats these.  They are what a
commander would do with a spreadsheet: put the patrols where most incidents
happened last year (``naive_365``), or where most happened lately
(``naive_recent``, an exponentially weighted count with a 30-day
half-life).  Both need no fitting and take milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hexops.analytics.risk.history import History
from hexops.analytics.risk.longrun import level, to_bins
from hexops.analytics.risk.registry import register_forecaster


@register_forecaster(
    "naive_365", kind="baseline", label="counting last year's incidents",
    definition="each hex's number of incidents over the last 365 days, nothing else",
)
@dataclass
class LastYearCount:
    """Each cell's incidents over the trailing ``window``, as an expected count per bin.

    Parameters
    ----------
    window : pandas.Timedelta
        How far back incidents are counted (default 365 days).
    """

    window: pd.Timedelta = pd.Timedelta(days=365)
    name: str = "naive_365"
    refit_every: pd.Timedelta = pd.Timedelta(days=36_500)

    def fit(self, history: History) -> "LastYearCount":
        return self

    def predict(self, history: History) -> np.ndarray:
        return self.explain(history)["incidents in the last year"]

    def explain(self, history: History) -> dict[str, np.ndarray]:
        bins = max(1, int(round(self.window / history.bin_width)))
        # Divided by the full window even when the history is shorter: the
        # baseline is the plain count, scaled to one bin.
        counts = np.asarray(history.window_sum(bins), dtype=np.float64)
        return {"incidents in the last year": counts / bins}


@register_forecaster(
    "naive_recent", kind="baseline", label="counting recent incidents",
    definition="each hex's incidents weighted by recency, halving every 30 days",
)
@dataclass
class RecentCount:
    """Each cell's exponentially weighted incident count (half-life ``half_life``), per bin."""

    half_life: pd.Timedelta = pd.Timedelta(days=30)
    name: str = "naive_recent"
    refit_every: pd.Timedelta = pd.Timedelta(days=36_500)

    def fit(self, history: History) -> "RecentCount":
        return self

    def predict(self, history: History) -> np.ndarray:
        return self.explain(history)["recent incidents"]

    def explain(self, history: History) -> dict[str, np.ndarray]:
        return {"recent incidents": level(history, to_bins(self.half_life, history.bin_width))}
