"""A self-exciting (Hawkes / ETAS) grid model on top of each hex's long-run level, fitted by EM.

The expected count of cell ``i`` in bin ``t`` is

    lambda[i, t] = s * L[i, t] + b + sum_l a_same[l] * n[i, t-l] + sum_l a_near[l] * (A n)[i, t-l]

a background proportional to the cell's long-run level ``L`` (its own
decayed incident count, :mod:`analytics.risk.longrun`, with the half-life
chosen by validation inside the training years) plus a rate ``b`` common to
every cell (so a new cell is not impossible, and where the level is only
noise EM can say so), plus near-repeat triggering by the same
cell's and the first-ring neighbours' incidents ``l = 1..L`` bins ago
(``A`` is the ring-1 adjacency).  This is the model of Mohler et al. (2011,
2015) on a grid, with a non-parametric (histogram) triggering kernel in time
and two distance classes in space.  EM runs on the binned counts: the E-step
splits each bin's incidents between background and each (lag, distance)
trigger in proportion to their share of ``lambda``; the M-step is the
Poisson maximum-likelihood update of ``s``, ``b`` and every triggering rate.

Earlier versions smoothed the background over neighbouring hexes (as
Mohler's stochastic declustering does) and held it constant over the
training window; at resolution 9 that blurred the one-hex-wide hot places
and lost to simply counting last year's incidents (docs/risk.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hexops.analytics.risk.history import History
from hexops.analytics.risk.longrun import choose_half_life, level, level_path, to_bins
from hexops.analytics.risk.registry import register_forecaster

@register_forecaster(
    "hawkes", kind="model", label="long-run level with near-repeats", quick=True,
    definition="each hex's long-run incident count plus the short-lived extra risk that follows "
               "an incident in it or next to it (a self-exciting Hawkes process)",
)
@dataclass
class HawkesGrid:
    """Long-run background + near-repeat self-exciting model on an H3 grid.

    Parameters
    ----------
    train_window : pandas.Timedelta
        History the triggering rates are fitted on (default two years).
    lag_span : pandas.Timedelta
        How long an incident can raise the risk nearby (default 21 days);
        divided by the bin width it is the number of lags ``L``.
    iterations : int
        EM iterations (the log-likelihood changes little after ~30).
    half_life : pandas.Timedelta, optional
        Half-life of the long-run level; default: chosen at each fit by
        :func:`~analytics.risk.longrun.choose_half_life`.
    refit_every : pandas.Timedelta
        How long a rolling backtest may reuse a fit for (the background and
        the triggers always read the newest history).
    """

    train_window: pd.Timedelta = pd.Timedelta(days=730)
    lag_span: pd.Timedelta = pd.Timedelta(days=21)
    iterations: int = 40
    half_life: pd.Timedelta | None = None
    refit_every: pd.Timedelta = pd.Timedelta(days=91)
    name: str = "hawkes"
    scale: float = float("nan")
    common: float = 0.0
    alpha_same: np.ndarray | None = field(default=None, repr=False)
    alpha_near: np.ndarray | None = field(default=None, repr=False)
    triggered_share: float = float("nan")
    fitted_half_life: pd.Timedelta | None = None
    validation: dict[str, float] = field(default_factory=dict)
    mu: np.ndarray | None = field(default=None, repr=False)

    def _lags(self, history: History) -> int:
        return max(1, int(np.ceil(self.lag_span / history.bin_width)))

    def fit(self, history: History) -> "HawkesGrid":
        if self.half_life is None:
            self.fitted_half_life, self.validation = choose_half_life(history)
        else:
            self.fitted_half_life, self.validation = self.half_life, {}
        half_life = to_bins(self.fitted_half_life, history.bin_width)
        lags = self._lags(history)
        cutoff = history.cutoff
        lo = max(lags, cutoff - max(1, int(self.train_window / history.bin_width)))
        self.alpha_same, self.alpha_near = np.zeros(lags), np.zeros(lags)
        if cutoff - lo < 1:
            # Too little history to see any triggering: background only.
            self.scale, self.common, self.triggered_share = 1.0, 0.0, 0.0
            self.mu = level(history, half_life)
            return self
        counts = history.counts(lo - lags, cutoff).toarray()
        near = np.asarray(history.adjacency() @ counts)
        levels = level_path(history, half_life, lo, cutoff)

        rows, cols = np.nonzero(counts[:, lags:])
        n = counts[rows, cols + lags]
        background = levels[rows, cols].astype(np.float64)
        background_total = float(levels.sum(dtype=np.float64))
        cell_bins = float(levels.size)
        # Features: the same cell's and the neighbours' counts at each lag.
        n_targets = counts.shape[1] - lags
        feats = np.empty((len(n), 2 * lags))
        col_cum_same = np.concatenate([[0.0], np.cumsum(counts.sum(axis=0))])
        col_cum_near = np.concatenate([[0.0], np.cumsum(near.sum(axis=0))])
        denom = np.empty(2 * lags)
        for lag in range(1, lags + 1):
            feats[:, lag - 1] = counts[rows, cols + lags - lag]
            feats[:, lags + lag - 1] = near[rows, cols + lags - lag]
            # Sum of each lagged feature over every (cell, target bin): the compensator.
            denom[lag - 1] = col_cum_same[lags - lag + n_targets] - col_cum_same[lags - lag]
            denom[lags + lag - 1] = col_cum_near[lags - lag + n_targets] - col_cum_near[lags - lag]
        denom = np.maximum(denom, 1e-12)

        total = float(n.sum())
        if total == 0 or background_total == 0:
            self.scale, self.common, self.triggered_share = 1.0, 0.0, 0.0
            self.mu = self._background(history, half_life)
            return self
        scale = 0.8 * total / background_total
        common = 0.1 * total / cell_bins
        alpha = np.full(2 * lags, 0.1 * total / (2 * lags)) / denom
        for _ in range(self.iterations):
            ratio = n / (scale * background + common + feats @ alpha)
            scale = scale * float((background * ratio).sum()) / background_total
            common = common * float(ratio.sum()) / cell_bins
            alpha = alpha * (feats.T @ ratio) / denom
        triggered = feats @ alpha
        self.scale, self.common = scale, common
        self.alpha_same = alpha[:lags]
        self.alpha_near = alpha[lags:]
        self.triggered_share = float((triggered * n / (scale * background + common + triggered)).sum() / total)
        self.mu = self._background(history, half_life)
        return self

    def _background(self, history: History, half_life: float) -> np.ndarray:
        return self.scale * level(history, half_life) + self.common

    def explain(self, history: History) -> dict[str, np.ndarray]:
        if self.alpha_same is None or self.fitted_half_life is None:
            self.fit(history)
        lags = len(self.alpha_same)
        cutoff = history.cutoff
        recent = history.counts(max(cutoff - lags, 0), cutoff).toarray()
        if recent.shape[1] < lags:
            recent = np.hstack([np.zeros((recent.shape[0], lags - recent.shape[1])), recent])
        # Column lags-l holds the bin l steps back; reverse so column l-1 is lag l.
        recent = recent[:, ::-1]
        near = np.asarray(history.adjacency() @ recent)
        return {
            "long-run level": self._background(history, to_bins(self.fitted_half_life, history.bin_width)),
            "near-repeat, same hex": recent @ self.alpha_same,
            "near-repeat, neighbours": near @ self.alpha_near,
        }

    def predict(self, history: History) -> np.ndarray:
        return np.sum(list(self.explain(history).values()), axis=0)
