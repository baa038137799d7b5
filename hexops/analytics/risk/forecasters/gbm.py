"""Gradient boosting of the corrections to each hex's long-run level (the ensemble).

The forecast is ``L[i] * g(x[i])``: the long-run level ``L`` of
:mod:`analytics.risk.longrun` is the backbone, and scikit-learn's
``HistGradientBoostingRegressor`` (Poisson loss) learns the multiplicative
correction ``g`` from near-repeat signals (the hex's and its neighbours'
incidents over the last days and weeks), trend (the last months against
the long run), the calendar (the share of the neighbourhood's incidents in
this time of day or day of week, against the city's) and camera-measured
footfall when detections provide it.  The level enters as an offset (the
target is ``y / L`` weighted by ``L``, which is the Poisson likelihood of
``y`` with mean ``L * g``), so with no signal the boosting learns ``g = 1``
and the forecast is the level itself.

Why not boosting the counts themselves, as earlier versions did: fitted on
daily counts that are mostly zero, the Poisson regressor spent its trees on
telling empty hexes apart and ranked the busy ones worse than last year's
count (docs/risk.md).  Here it is trained only on the candidate pool (the
quarter of hexes with the highest level at each origin, where the top 1-10%
is decided), and the number of trees is chosen by early stopping on the
newest fifth of the training origins, i.e. inside the training years.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import ThreadpoolController

from hexops.analytics.risk.errors import RiskInputError
from hexops.analytics.risk.history import History
from hexops.analytics.risk.longrun import choose_half_life, level, to_bins
from hexops.analytics.risk.registry import register_forecaster

#: Trailing windows (days) of the cell's own counts and of its ring-1 neighbours'.
OWN_WINDOWS_DAYS = (1, 7, 28, 91, 365)
NEAR_WINDOWS_DAYS = (7, 28, 365)
#: History the calendar shares are counted over, and their shrinkage (incidents).
CALENDAR_SPAN = pd.Timedelta(days=3 * 365)
CALENDAR_PRIOR = 5.0

#: Which features make up each part of an explanation, in attribution order.
#: The first part also carries the level times the correction at typical values.
GROUPS = {
    "long-run level": ("level", "own_365", "near_365"),
    "recent incidents nearby": ("own_1", "own_7", "near_7"),
    "trend": ("own_28", "own_91", "near_28"),
    "time of day and week": ("calendar_share", "hour", "weekday", "month"),
    "footfall": ("footfall", "per_passerby"),
}


def _bins(days: int, history: History) -> int:
    return max(1, int(round(pd.Timedelta(days=days) / history.bin_width)))


def _calendar_period(history: History) -> int | None:
    """Bins in one calendar cycle whose phase matters: a day of shifts, a week of days."""
    width = history.bin_width
    if width < pd.Timedelta(days=1):
        return int(round(pd.Timedelta(days=1) / width))
    if width < pd.Timedelta(days=7):
        return int(round(pd.Timedelta(days=7) / width))
    return None


@register_forecaster(
    "gbm", kind="model", label="long-run level corrected by recent and calendar signals",
    definition="each hex's long-run incident count, adjusted by gradient boosting for recent incidents "
               "nearby, trend, time of day and week, and camera footfall",
)
@dataclass
class GradientBoosted:
    """The long-run level times a boosted correction, fitted on the candidate pool.

    Parameters
    ----------
    train_span : pandas.Timedelta
        Origins for training rows are drawn from this span before the cutoff.
    max_rows : int
        Training rows at most (origins are thinned evenly to keep to it).
    pool_share : float
        Share of cells (highest level first) trained on and corrected; the
        rest keep their level times the mean correction.
    max_iter, learning_rate : int, float
        Boosting settings; trees stop early when the newest fifth of the
        training origins stops improving.
    half_life : pandas.Timedelta, optional
        Half-life of the level; default: chosen at each fit by validation.
    refit_every : pandas.Timedelta
        How long a rolling backtest may reuse a fit for (features always
        use the newest history).
    """

    train_span: pd.Timedelta = pd.Timedelta(days=730)
    max_rows: int = 400_000
    pool_share: float = 0.25
    max_iter: int = 200
    learning_rate: float = 0.05
    half_life: pd.Timedelta | None = None
    refit_every: pd.Timedelta = pd.Timedelta(days=365)
    random_state: int = 0
    name: str = "gbm"
    feature_names: list[str] = field(default_factory=list)
    fitted_half_life: pd.Timedelta | None = None
    validation: dict[str, float] = field(default_factory=dict)
    _model: HistGradientBoostingRegressor | None = field(default=None, repr=False)
    _reference: np.ndarray | None = field(default=None, repr=False)
    _outside_factor: float = 1.0
    _floor: float = 0.0
    _neighbourhood: sparse.csr_matrix | None = field(default=None, repr=False)
    _threads: ThreadpoolController | None = field(default=None, repr=False)

    def _one_thread(self):
        """Hold OpenMP to one thread: on a shared machine spinning worker threads cost
        far more than they save (a 60x slowdown was measured under load).  The
        controller is built once per forecaster (building one scans the loaded libraries)."""
        if self._threads is None:
            self._threads = ThreadpoolController()
        return self._threads.limit(limits=1, user_api="openmp")

    # -- features ---------------------------------------------------------------------------

    def _level(self, history: History, end: int) -> np.ndarray:
        return level(history, to_bins(self.fitted_half_life, history.bin_width), end)

    def _disk(self, history: History) -> sparse.csr_matrix:
        """Cells within two grid steps (the cell itself included), for neighbourhood shares."""
        if self._neighbourhood is None or self._neighbourhood.shape[0] != len(history.cells):
            one = sparse.identity(len(history.cells), format="csr") + history.adjacency()
            self._neighbourhood = ((one @ one) > 0).astype(np.float64).tocsr()
        return self._neighbourhood

    def _calendar_share(self, history: History, end: int) -> np.ndarray | None:
        """The neighbourhood's share of incidents in bins of the same phase as ``end``, over the city's."""
        period = _calendar_period(history)
        if period is None:
            return None
        start = max(0, end - int(CALENDAR_SPAN / history.bin_width))
        counts = history.counts(start, end)
        phase = np.arange(start, end) % period == end % period
        same = np.asarray(counts[:, np.flatnonzero(phase)].sum(axis=1)).ravel()
        total = np.asarray(counts.sum(axis=1)).ravel()
        if total.sum() == 0:
            return np.ones(len(history.cells))
        city = same.sum() / total.sum() if same.sum() > 0 else 1.0 / period
        disk = self._disk(history)
        return (disk @ same + CALENDAR_PRIOR * city) / (disk @ total + CALENDAR_PRIOR) / city

    def features(self, history: History, end: int) -> pd.DataFrame:
        """Per-cell features for forecasting bin ``end`` from bins before it."""
        columns: dict[str, np.ndarray] = {"level": self._level(history, end)}
        for days in OWN_WINDOWS_DAYS:
            length = _bins(days, history)
            columns[f"own_{days}"] = history.window_sum(length, end) / length
        adjacency = history.adjacency()
        for days in NEAR_WINDOWS_DAYS:
            length = _bins(days, history)
            columns[f"near_{days}"] = np.asarray(adjacency @ history.window_sum(length, end)) / length
        calendar = self._calendar_share(history, end)
        if calendar is not None:
            columns["calendar_share"] = calendar
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

    def _pool(self, backbone: np.ndarray) -> np.ndarray:
        """Indices of the cells trained on and corrected: the highest ``pool_share`` by level."""
        n = len(backbone)
        size = n if n <= 800 else max(200, int(np.ceil(self.pool_share * n)))
        return np.sort(np.argsort(-backbone, kind="stable")[:size])

    # -- fitting ------------------------------------------------------------------------------

    def fit(self, history: History) -> "GradientBoosted":
        if self.half_life is None:
            self.fitted_half_life, self.validation = choose_half_life(history)
        else:
            self.fitted_half_life, self.validation = self.half_life, {}
        span = max(1, int(self.train_span / history.bin_width))
        candidates = np.arange(max(1, history.cutoff - span), history.cutoff)
        if len(candidates) < 2:
            raise RiskInputError("the history is too short to train the gradient-boosted model")
        self._floor = 0.02 * max(float(self._level(history, history.cutoff).mean()), 1e-9)
        pool_size = len(self._pool(np.zeros(len(history.cells))))
        step = max(1, int(np.ceil(len(candidates) * pool_size / self.max_rows)))
        origins = candidates[::-1][::step][::-1]
        frames, targets, offsets = [], [], []
        for origin in origins.tolist():
            x = self.features(history, origin)
            pool = self._pool(x["level"].to_numpy())
            frames.append(x.iloc[pool])
            targets.append(history.counts(origin, origin + 1)[pool].toarray().ravel())
            offsets.append(x["level"].to_numpy()[pool] + self._floor)
        x = pd.concat(frames, ignore_index=True)
        # A feature never measured over the training origins (footfall before any
        # camera reported) carries nothing to learn from; leave it out.
        x = x.loc[:, x.notna().any(axis=0)]
        self.feature_names = list(x.columns)
        y, offset = np.concatenate(targets), np.concatenate(offsets)
        # Early stopping on the newest fifth of the origins: validation inside the training span.
        rows_per_origin = np.array([len(f) for f in frames])
        n_val_origins = max(1, len(origins) // 5) if len(origins) >= 5 else 0
        split = int(rows_per_origin[: len(origins) - n_val_origins].sum())
        features = x.to_numpy()
        model = HistGradientBoostingRegressor(
            loss="poisson", learning_rate=self.learning_rate, max_iter=self.max_iter, max_leaf_nodes=7,
            min_samples_leaf=max(20, min(2000, len(y) // 100)), l2_regularization=10.0,
            early_stopping=n_val_origins > 0, n_iter_no_change=10, random_state=self.random_state,
        )
        fit_args = {}
        if n_val_origins:
            fit_args = {"X_val": features[split:], "y_val": y[split:] / offset[split:],
                        "sample_weight_val": offset[split:]}
        with self._one_thread():
            self._model = model.fit(features[:split] if n_val_origins else features,
                                    (y / offset)[:split] if n_val_origins else y / offset,
                                    sample_weight=offset[:split] if n_val_origins else offset, **fit_args)
            factor = self._model.predict(features)
        self._outside_factor = float((factor * offset).sum() / offset.sum())
        self._reference = np.nanmedian(features, axis=0)
        return self

    # -- forecasting --------------------------------------------------------------------------

    def _model_predict(self, x: np.ndarray) -> np.ndarray:
        with self._one_thread():
            return np.asarray(self._model.predict(x), dtype=np.float64)

    def _inputs(self, history: History) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The backbone (level + floor) of every cell, the pool, and the pool's feature rows."""
        if self._model is None:
            self.fit(history)
        frame = self.features(history, history.cutoff)
        pool = self._pool(frame["level"].to_numpy())
        backbone = frame["level"].to_numpy() + self._floor
        return backbone, pool, frame.reindex(columns=self.feature_names).to_numpy()[pool]

    def predict(self, history: History) -> np.ndarray:
        backbone, pool, x = self._inputs(history)
        out = backbone * self._outside_factor
        out[pool] = backbone[pool] * self._model_predict(x)
        return out

    def explain(self, history: History) -> dict[str, np.ndarray]:
        """Sequential attribution: start every feature of a pool cell at its training median,
        then switch each group to its real values in :data:`GROUPS` order; a group's part is
        the change it makes, and the first part also holds the level times the correction at
        typical values.  Cells outside the pool are their level times the mean correction.
        The parts sum exactly to the prediction (the order matters for interacting features,
        and is fixed so explanations compare)."""
        backbone, pool, x = self._inputs(history)
        parts = {group: np.zeros(len(backbone)) for group in GROUPS}
        parts["long-run level"] = backbone * self._outside_factor
        current = np.tile(self._reference, (len(pool), 1))
        previous = backbone[pool] * self._model_predict(current)
        pooled = {group: np.zeros(len(pool)) for group in GROUPS}
        pooled["long-run level"] = previous.copy()
        for group, names in GROUPS.items():
            idx = [self.feature_names.index(name) for name in names if name in self.feature_names]
            if not idx:
                continue
            current[:, idx] = x[:, idx]
            now = backbone[pool] * self._model_predict(current)
            pooled[group] += now - previous
            previous = now
        for group in GROUPS:
            parts[group][pool] = pooled[group]
        return {group: values for group, values in parts.items()
                if group == "long-run level" or any(name in self.feature_names for name in GROUPS[group])}
