"""A self-exciting (Hawkes / ETAS) grid model fitted by expectation-maximisation.

The expected count of cell ``i`` in bin ``t`` is

    lambda[i, t] = mu[i] + sum_l a_same[l] * n[i, t-l] + sum_l a_near[l] * (A n)[i, t-l]

a background rate ``mu`` plus near-repeat triggering by the same cell's and
the first-ring neighbours' incidents ``l = 1..L`` bins ago (``A`` is the
ring-1 adjacency).  This is the model of Mohler et al. (2011, 2015) on a
grid, with a non-parametric (histogram) triggering kernel in time and two
distance classes in space.  EM runs on the binned counts: the E-step splits
each bin's incidents between background and each (lag, distance) trigger in
proportion to their share of ``lambda``; the M-step is the Poisson maximum
likelihood update of every rate given that split.  As in Mohler et al. the
background is kernel-smoothed over space between iterations, so cells with
few incidents borrow strength from their neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from hexops.analytics.risk.base import gaussian_ring_kernel
from hexops.analytics.risk.history import History


@dataclass
class HawkesGrid:
    """Background + near-repeat self-exciting model on an H3 grid.

    Parameters
    ----------
    train_window : pandas.Timedelta
        History used to fit (default two years).
    lag_span : pandas.Timedelta
        How long an incident can raise the risk nearby (default 21 days);
        divided by the bin width it is the number of lags ``L``.
    iterations : int
        EM iterations (the log-likelihood changes little after ~30).
    sigma_rings : float
        Bandwidth of the background's spatial smoothing, in H3 grid steps.
    refit_every : pandas.Timedelta
        How long a rolling backtest may reuse a fit for.
    """

    train_window: pd.Timedelta = pd.Timedelta(days=730)
    lag_span: pd.Timedelta = pd.Timedelta(days=21)
    iterations: int = 40
    sigma_rings: float = 1.0
    refit_every: pd.Timedelta = pd.Timedelta(days=91)
    name: str = "hawkes"
    mu: np.ndarray | None = field(default=None, repr=False)
    alpha_same: np.ndarray | None = field(default=None, repr=False)
    alpha_near: np.ndarray | None = field(default=None, repr=False)
    triggered_share: float = float("nan")
    _kernel: sparse.csr_matrix | None = field(default=None, repr=False)

    def _lags(self, history: History) -> int:
        return max(1, int(np.ceil(self.lag_span / history.bin_width)))

    def fit(self, history: History) -> "HawkesGrid":
        lags = self._lags(history)
        window = max(1, int(self.train_window / history.bin_width))
        cutoff = history.cutoff
        start = max(0, cutoff - window - lags)
        counts = history.counts(start, cutoff).toarray()
        near = np.asarray(history.adjacency() @ counts)
        n_cells, n_bins = counts.shape
        if self._kernel is None or self._kernel.shape[0] != n_cells:
            self._kernel = gaussian_ring_kernel(history.cells, self.sigma_rings, by_rows=True)
        n_targets = n_bins - lags
        if n_targets < 1:
            # Too little history to see any triggering: background only.
            self.mu = np.asarray(self._kernel @ (counts.sum(axis=1) / max(n_bins, 1)))
            self.alpha_same = np.zeros(lags)
            self.alpha_near = np.zeros(lags)
            self.triggered_share = 0.0
            return self

        rows, cols = np.nonzero(counts[:, lags:])
        cols = cols + lags
        n = counts[rows, cols]
        # Features: the same cell's and the neighbours' counts at each lag.
        feats = np.empty((len(n), 2 * lags))
        col_cum_same = np.concatenate([[0.0], np.cumsum(counts.sum(axis=0))])
        col_cum_near = np.concatenate([[0.0], np.cumsum(near.sum(axis=0))])
        denom = np.empty(2 * lags)
        for lag in range(1, lags + 1):
            feats[:, lag - 1] = counts[rows, cols - lag]
            feats[:, lags + lag - 1] = near[rows, cols - lag]
            # Sum of each lagged feature over every (cell, target bin): the compensator.
            denom[lag - 1] = col_cum_same[n_bins - lag] - col_cum_same[lags - lag]
            denom[lags + lag - 1] = col_cum_near[n_bins - lag] - col_cum_near[lags - lag]
        denom = np.maximum(denom, 1e-12)

        total = n.sum()
        alpha = np.full(2 * lags, 0.1 * total / (2 * lags)) / denom
        per_cell = np.bincount(rows, weights=n, minlength=n_cells)
        mu = np.asarray(self._kernel @ (0.9 * per_cell / n_targets))
        mu = np.maximum(mu, 1e-9)
        for _ in range(self.iterations):
            lam = mu[rows] + feats @ alpha
            ratio = n / lam
            background = np.bincount(rows, weights=mu[rows] * ratio, minlength=n_cells)
            alpha = alpha * (feats.T @ ratio) / denom
            mu = np.maximum(np.asarray(self._kernel @ (background / n_targets)), 1e-9)
        lam = mu[rows] + feats @ alpha
        self.mu = mu
        self.alpha_same = alpha[:lags]
        self.alpha_near = alpha[lags:]
        self.triggered_share = float(((feats @ alpha) * n / lam).sum() / total)
        return self

    def explain(self, history: History) -> dict[str, np.ndarray]:
        if self.mu is None or len(self.mu) != len(history.cells):
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
            "background": self.mu.copy(),
            "near-repeat, same hex": recent @ self.alpha_same,
            "near-repeat, neighbours": near @ self.alpha_near,
        }

    def predict(self, history: History) -> np.ndarray:
        return np.sum(list(self.explain(history).values()), axis=0)
