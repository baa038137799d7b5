"""A gradient-boosted risk model on lagged counts, neighbours, calendar and footfall.

Like risk-terrain products it learns how a cell's recent and long-run
history, its neighbours' and the calendar combine; unlike them it also uses
the camera-measured footfall of the cell as an exposure feature (incidents
per passer-by), when the detections provide one.  scikit-learn's
``HistGradientBoostingRegressor`` with a Poisson loss does the learning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from hexops.analytics.risk.errors import RiskInputError
from hexops.analytics.risk.history import History

#: Trailing windows (days) of the cell's own counts and of its ring-1 neighbours'.
OWN_WINDOWS_DAYS = (1, 7, 28, 91, 365)
NEAR_WINDOWS_DAYS = (7, 28, 365)

#: Which features make up each part of an explanation, in attribution order.
GROUPS = {
    "recent incidents nearby": ("own_1", "own_7", "near_7"),
    "trend": ("own_28", "own_91", "near_28"),
    "long-run level": ("own_365", "near_365"),
    "footfall": ("footfall", "per_passerby"),
    "time of day and week": ("hour", "weekday", "month"),
}


def _bins(days: int, history: History) -> int:
    return max(1, int(round(pd.Timedelta(days=days) / history.bin_width)))


@dataclass
class GradientBoosted:
    """Poisson gradient boosting on per-cell features at each forecast origin.

    Parameters
    ----------
    train_span : pandas.Timedelta
        Origins for training rows are drawn from this span before the cutoff.
    n_origins : int
        How many origins (bins) to train on at a daily or longer horizon,
        times the bins per day for shorter ones; each gives one row per cell.
    max_iter, learning_rate : int, float
        Boosting settings (kept modest so a city-wide fit takes seconds).
    refit_every : pandas.Timedelta
        How long a rolling backtest may reuse a fit for (features always
        use the newest history).
    """

    train_span: pd.Timedelta = pd.Timedelta(days=730)
    n_origins: int = 100
    max_iter: int = 150
    learning_rate: float = 0.08
    refit_every: pd.Timedelta = pd.Timedelta(days=365)
    random_state: int = 0
    name: str = "gbm"
    feature_names: list[str] = field(default_factory=list)
    _model: HistGradientBoostingRegressor | None = field(default=None, repr=False)
    _reference: np.ndarray | None = field(default=None, repr=False)

    def features(self, history: History, end: int) -> pd.DataFrame:
        """Per-cell features for forecasting bin ``end`` from bins before it."""
        columns: dict[str, np.ndarray] = {}
        for days in OWN_WINDOWS_DAYS:
            length = _bins(days, history)
            columns[f"own_{days}"] = history.window_sum(length, end) / length
        adjacency = history.adjacency()
        for days in NEAR_WINDOWS_DAYS:
            length = _bins(days, history)
            columns[f"near_{days}"] = np.asarray(adjacency @ history.window_sum(length, end)) / length
        footfall = history.exposure(_bins(28, history), end)
        if footfall is not None:
            columns["footfall"] = footfall
            with np.errstate(divide="ignore", invalid="ignore"):
                columns["per_passerby"] = np.where(footfall > 0, columns["own_365"] / footfall, np.nan)
        when = history.bin_start(end)
        n = len(history.cells)
        if history.bin_width < pd.Timedelta(days=1):
            columns["hour"] = np.full(n, when.hour, dtype=float)
        if history.bin_width < pd.Timedelta(days=7):
            columns["weekday"] = np.full(n, when.dayofweek, dtype=float)
        columns["month"] = np.full(n, when.month, dtype=float)
        return pd.DataFrame(columns)

    def fit(self, history: History) -> "GradientBoosted":
        rng = np.random.default_rng(self.random_state)
        span = max(1, int(self.train_span / history.bin_width))
        first = max(1, history.cutoff - span)
        candidates = np.arange(first, history.cutoff)
        if len(candidates) == 0:
            raise RiskInputError("the history is too short to train the gradient-boosted model")
        # Sub-day bins hold fewer incidents each: draw proportionally more origins so
        # the model sees as many incidents as at a daily horizon.
        per_day = max(1, int(round(pd.Timedelta(days=1) / history.bin_width)))
        wanted = min(self.n_origins * per_day, len(candidates))
        origins = np.sort(rng.choice(candidates, size=wanted, replace=False))
        frames, targets = [], []
        for origin in origins.tolist():
            frames.append(self.features(history, origin))
            targets.append(history.counts(origin, origin + 1).toarray().ravel())
        x = pd.concat(frames, ignore_index=True)
        y = np.concatenate(targets)
        # A feature never measured over the training origins (footfall before any
        # camera reported) carries nothing to learn from; leave it out.
        x = x.loc[:, x.notna().any(axis=0)]
        self.feature_names = list(x.columns)
        model = HistGradientBoostingRegressor(
            loss="poisson",
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=31,
            min_samples_leaf=50,
            random_state=self.random_state,
        )
        # One OpenMP thread: on a shared machine spinning worker threads cost
        # far more than they save (a 60x slowdown was measured under load).
        with threadpool_limits(limits=1, user_api="openmp"):
            self._model = model.fit(x.to_numpy(), y)
        self._reference = np.nanmedian(x.to_numpy(), axis=0)
        return self

    def _frame(self, history: History) -> np.ndarray:
        if self._model is None:
            self.fit(history)
        x = self.features(history, history.cutoff)
        return x.reindex(columns=self.feature_names).to_numpy()

    def predict(self, history: History) -> np.ndarray:
        return self._model_predict(self._frame(history))

    def _model_predict(self, x: np.ndarray) -> np.ndarray:
        with threadpool_limits(limits=1, user_api="openmp"):
            return np.asarray(self._model.predict(x), dtype=np.float64)

    def explain(self, history: History) -> dict[str, np.ndarray]:
        """Sequential attribution: start every feature at its training median, then
        switch each group to its real values in :data:`GROUPS` order; a group's part
        is the change it makes.  The parts sum exactly to the prediction (the order
        matters for interacting features, and is fixed so explanations compare)."""
        x = self._frame(history)
        current = np.tile(self._reference, (x.shape[0], 1))
        previous = self._model_predict(current)
        parts = {"baseline": previous.copy()}
        for group, names in GROUPS.items():
            idx = [self.feature_names.index(name) for name in names if name in self.feature_names]
            if not idx:
                continue
            current[:, idx] = x[:, idx]
            now = self._model_predict(current)
            parts[group] = now - previous
            previous = now
        return parts
