"""Rolling-origin backtests: every forecast is made from the past alone and scored on what followed.

At each origin (one per bin from the training cutoff to the test end) each
model predicts the next bin from ``matrix.until(origin)``, a history that
raises :class:`~analytics.risk.errors.FutureLeakError` if anything at or
after the origin is read.  Heavy models are refitted every
``model.refit_every`` (a span of time; their features still use the newest history),
which keeps a two-year daily backtest of a city within a minute.

The report names every model with its kind (baseline, peer, model), its
skill against counting last year's incidents (``skill_pai_5``), the best of
all (baselines included) and the best that is not a baseline; scores per
group of cells (districts) are kept when groups are given.
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
from hexops.analytics.risk.metrics import HEADLINE_SHARE, SKILL_KEY, Scoreboard
from hexops.analytics.risk.registry import REFERENCE, kind_of


@dataclass
class BacktestResult:
    """Scores and timings per model, per group of cells when asked, and which model is best."""

    scores: dict[str, Scoreboard]
    seconds: dict[str, float]
    origins: int
    n_cells: int
    refits: dict[str, int] = field(default_factory=dict)
    group_scores: dict[str, dict[str, Scoreboard]] = field(default_factory=dict)
    bin_hours: float = 24.0
    fitted: dict[str, dict] = field(default_factory=dict)

    @property
    def best(self) -> str:
        """The model (baselines included) with the highest PAI at 5%."""
        return max(self.scores, key=lambda name: self.scores[name].pai(HEADLINE_SHARE))

    @property
    def best_model(self) -> str | None:
        """The best forecaster that is not a naive baseline (None if only baselines ran)."""
        candidates = [name for name in self.scores if kind_of(name) != "baseline"]
        return max(candidates, key=lambda name: self.scores[name].pai(HEADLINE_SHARE)) if candidates else None

    def skill(self, name: str) -> float | None:
        """PAI at 5% of ``name`` divided by :data:`~analytics.risk.registry.REFERENCE`'s (None without it)."""
        reference = self.scores.get(REFERENCE)
        if reference is None or not reference.pai(HEADLINE_SHARE) > 0:
            return None
        return round(self.scores[name].pai(HEADLINE_SHARE) / reference.pai(HEADLINE_SHARE), 4)

    def as_json(self) -> dict:
        """The report: ``{"models": {name: metrics + skill_pai_5}, "kinds", "best", "best_model", ...}``."""
        models = {}
        for name, board in self.scores.items():
            models[name] = board.summary()
            models[name][SKILL_KEY] = self.skill(name)
        report = {
            "models": models,
            "kinds": {name: kind_of(name) for name in self.scores},
            "reference": REFERENCE if REFERENCE in self.scores else None,
            "best": self.best,
            "best_model": self.best_model,
            "origins": self.origins,
            "n_cells": self.n_cells,
            "bin_hours": self.bin_hours,
            "seconds": {name: round(s, 2) for name, s in self.seconds.items()},
            "refits": self.refits,
        }
        if self.fitted:
            report["fitted"] = self.fitted
        if self.group_scores:
            report["groups"] = {
                group: {name: board.group_summary() for name, board in boards.items()}
                for group, boards in self.group_scores.items()
            }
        return report


def _fitted_settings(model: Forecaster) -> dict:
    """What a model chose at its last fit by validation inside its history (for the report)."""
    out = {}
    half_life = getattr(model, "fitted_half_life", None)
    if half_life is not None:
        out["half_life_days"] = round(half_life / np.timedelta64(1, "D"), 1)
    validation = getattr(model, "validation", None)
    if validation:
        out["validation_pai_5"] = dict(validation)
    return out


def run_backtest(
    matrix: CountMatrix,
    models: Iterable[Forecaster],
    first_origin: int,
    last_origin: int,
    *,
    progress: bool = True,
    on_origin: Callable[[str, int], None] | None = None,
    groups: np.ndarray | None = None,
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
    groups : numpy.ndarray of str, optional
        A label per study cell (its district); each group is also scored on
        its own, flagging the top share of *its* cells.  Cells labelled
        ``""`` or None belong to no group.  Incidents outside the study cells
        belong to no group either.
    """
    if not 0 < first_origin < last_origin <= matrix.n_bins:
        raise RiskInputError(
            f"test bins [{first_origin}, {last_origin}) must lie after some history and within {matrix.n_bins} bins"
        )
    outside = matrix.outside if matrix.outside is not None else np.zeros(matrix.n_bins)
    actual_all = matrix.counts[:, first_origin:last_origin].toarray()
    members: dict[str, np.ndarray] = {}
    if groups is not None:
        labels = np.asarray(groups, dtype=object)
        for label in sorted({g for g in labels.tolist() if g}):
            members[str(label)] = np.flatnonzero(labels == label)
    result = BacktestResult({}, {}, last_origin - first_origin, len(matrix.cells),
                            bin_hours=matrix.bin_width.total_seconds() / 3600)
    for model in models:
        board = Scoreboard(len(matrix.cells))
        group_boards = {label: Scoreboard(len(idx)) for label, idx in members.items()}
        started = time.perf_counter()
        fitted_at: int | None = None
        result.refits[model.name] = 0
        refit_bins = max(1, int(model.refit_every / matrix.bin_width))
        for origin in tqdm(range(first_origin, last_origin), desc=f"backtest {model.name}",
                           disable=not progress, leave=False):
            history = matrix.until(origin)
            if fitted_at is None or origin - fitted_at >= refit_bins:
                model.fit(history)
                fitted_at = origin
                result.refits[model.name] += 1
            predicted = model.predict(history)
            actual = actual_all[:, origin - first_origin]
            board.add(predicted, actual, float(outside[origin]))
            for label, idx in members.items():
                group_boards[label].add(predicted[idx], actual[idx])
            if on_origin is not None:
                on_origin(model.name, origin)
        result.seconds[model.name] = time.perf_counter() - started
        result.scores[model.name] = board
        fitted = _fitted_settings(model)
        if fitted:
            result.fitted[model.name] = fitted
        for label, group_board in group_boards.items():
            result.group_scores.setdefault(label, {})[model.name] = group_board
    return result
