"""Rolling-origin backtests: every forecast is made from the past alone and scored on what followed.

At each origin (one per bin from the training cutoff to the test end) each
model predicts the next bin from ``matrix.until(origin)``, a history that
raises :class:`~analytics.risk.errors.FutureLeakError` if anything at or
after the origin is read.  Heavy models are refitted every
``model.refit_every`` (a span of time; their features still use the newest history),
which keeps a two-year daily backtest of a city within a minute.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np
from tqdm import tqdm

from hexops.analytics.risk.base import Forecaster
from hexops.analytics.risk.errors import RiskInputError
from hexops.analytics.risk.history import CountMatrix
from hexops.analytics.risk.metrics import Scoreboard


@dataclass
class BacktestResult:
    """Scores and timings per model, and which model is best by PAI at 5%."""

    scores: dict[str, Scoreboard]
    seconds: dict[str, float]
    origins: int
    n_cells: int
    refits: dict[str, int] = field(default_factory=dict)

    @property
    def best(self) -> str:
        return max(self.scores, key=lambda name: self.scores[name].pai(0.05))

    def as_json(self) -> dict:
        """The report shape: ``{"models": {name: metrics}, "best": name, ...}``."""
        return {
            "models": {name: board.summary() for name, board in self.scores.items()},
            "best": self.best,
            "origins": self.origins,
            "n_cells": self.n_cells,
            "seconds": {name: round(s, 2) for name, s in self.seconds.items()},
            "refits": self.refits,
        }


def run_backtest(
    matrix: CountMatrix,
    models: Iterable[Forecaster],
    first_origin: int,
    last_origin: int,
    *,
    progress: bool = True,
    on_origin: Callable[[str, int], None] | None = None,
) -> BacktestResult:
    """Score ``models`` on every bin in ``[first_origin, last_origin)``.

    Parameters
    ----------
    matrix : CountMatrix
        Counts per study cell and bin (bins are the horizon).
    models : iterable of Forecaster
    first_origin, last_origin : int
        Bin indices: the first bin forecast (the training cutoff) and the end
        of the test span.
    progress : bool
        Show a tqdm bar per model.
    """
    if not 0 < first_origin < last_origin <= matrix.n_bins:
        raise RiskInputError(
            f"test bins [{first_origin}, {last_origin}) must lie after some history and within {matrix.n_bins} bins"
        )
    outside = matrix.outside if matrix.outside is not None else np.zeros(matrix.n_bins)
    actual_all = matrix.counts[:, first_origin:last_origin].toarray()
    scores: dict[str, Scoreboard] = {}
    seconds: dict[str, float] = {}
    refits: dict[str, int] = {}
    for model in models:
        board = Scoreboard(len(matrix.cells))
        started = time.perf_counter()
        fitted_at: int | None = None
        refits[model.name] = 0
        refit_bins = max(1, int(model.refit_every / matrix.bin_width))
        for origin in tqdm(range(first_origin, last_origin), desc=f"backtest {model.name}",
                           disable=not progress, leave=False):
            history = matrix.until(origin)
            if fitted_at is None or origin - fitted_at >= refit_bins:
                model.fit(history)
                fitted_at = origin
                refits[model.name] += 1
            predicted = model.predict(history)
            board.add(predicted, actual_all[:, origin - first_origin], float(outside[origin]))
            if on_origin is not None:
                on_origin(model.name, origin)
        seconds[model.name] = time.perf_counter() - started
        scores[model.name] = board
    return BacktestResult(scores, seconds, last_origin - first_origin, len(matrix.cells), refits)
