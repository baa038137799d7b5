"""Hotspot accuracy: hit rate, PAI and PEI at a share of the area.

For a forecast ranking of ``n`` study cells and the incidents that then
happened, flagging the top ``k = ceil(f * n)`` cells:

- hit rate: share of all incidents (including any outside the study cells)
  that fell in the flagged cells;
- PAI (predictive accuracy index, Chainey et al. 2008): hit rate divided by
  the share of the area flagged, ``k / n`` (cells of one H3 resolution have
  nearly equal areas);
- PEI (predictive efficiency index, Hunt 2016): incidents in the flagged
  cells divided by the most any ``k`` cells held, i.e. against a perfect
  forecast of the same area.

Scores over many forecast periods are pooled: hits, incidents and best
possible hits are summed over periods before dividing, so busy periods
weigh more, as they do on the street.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Area shares reported by every backtest.
AREA_SHARES: tuple[float, ...] = (0.01, 0.05, 0.10)
#: Area shares of the hit-rate curve drawn in the backtest plot.
CURVE_SHARES: np.ndarray = np.round(np.linspace(0.005, 0.20, 40), 4)
#: The area share commanders are told about ("the 5% of the district it flagged").
HEADLINE_SHARE: float = 0.05
#: Key of a forecaster's skill: its PAI at 5% divided by the reference baseline's.
SKILL_KEY = "skill_pai_5"

#: The metrics every backtest table shows, listed once: key -> (column label, one-line definition).
#: Reports carry more keys (``pai_*``, ``pei_*``, ``hit_rate_*`` at every share in :data:`AREA_SHARES`).
TABLE_METRICS: dict[str, tuple[str, str]] = {
    "pai_1": ("PAI 1%", "share of incidents in the riskiest 1% of the area, divided by 1%"),
    "pai_5": ("PAI 5%", "share of incidents in the riskiest 5% of the area, divided by 5% "
                        "(1 is no better than chance)"),
    "pai_10": ("PAI 10%", "share of incidents in the riskiest 10% of the area, divided by 10%"),
    "pei_5": ("PEI 5%", "incidents caught in the flagged 5%, as a share of the most any 5% of the area held"),
    "hit_rate_5": ("hits 5%", "share of all incidents that fell in the flagged 5% of the area"),
    SKILL_KEY: ("skill", "PAI at 5% divided by that of counting last year's incidents (above 1 beats it)"),
}


def top_k(n_cells: int, share: float) -> int:
    """Number of cells in ``share`` of the area (at least one)."""
    return max(1, int(np.ceil(share * n_cells)))


def _figure(value: float) -> float | None:
    """A score rounded for a report; NaN (no incidents to score) becomes None (JSON null)."""
    return None if np.isnan(value) else round(float(value), 4)


@dataclass
class Scoreboard:
    """Running sums for one model over many forecast periods."""

    n_cells: int
    shares: tuple[float, ...] = AREA_SHARES
    incidents: float = 0.0
    periods: int = 0
    hits: dict[float, float] = field(default_factory=dict)
    best: dict[float, float] = field(default_factory=dict)
    curve_hits: np.ndarray = field(default_factory=lambda: np.zeros(len(CURVE_SHARES)))

    def add(self, predicted: np.ndarray, actual: np.ndarray, outside: float = 0.0) -> None:
        """Score one period: ``predicted`` and ``actual`` per study cell, plus misses outside them."""
        if predicted.shape != actual.shape or len(actual) != self.n_cells:
            raise ValueError(f"expected {self.n_cells} cells, got {predicted.shape} and {actual.shape}")
        self.periods += 1
        self.incidents += float(actual.sum()) + float(outside)
        # Ties are broken by cell order (stable sort), the same for every model.
        ranked = np.cumsum(actual[np.argsort(-predicted, kind="stable")])
        ideal = np.cumsum(np.sort(actual)[::-1])
        for share in self.shares:
            k = top_k(self.n_cells, share)
            self.hits[share] = self.hits.get(share, 0.0) + float(ranked[k - 1])
            self.best[share] = self.best.get(share, 0.0) + float(ideal[k - 1])
        ks = np.array([top_k(self.n_cells, s) for s in CURVE_SHARES]) - 1
        self.curve_hits += ranked[ks]

    def hit_rate(self, share: float) -> float:
        return self.hits.get(share, 0.0) / self.incidents if self.incidents else float("nan")

    def pai(self, share: float) -> float:
        return self.hit_rate(share) / (top_k(self.n_cells, share) / self.n_cells)

    def pei(self, share: float) -> float:
        best = self.best.get(share, 0.0)
        return self.hits.get(share, 0.0) / best if best else float("nan")

    def group_summary(self) -> dict[str, float]:
        """The headline figures only (hit rate and PAI at 5%, incidents, cells): per district."""
        pct = int(round(HEADLINE_SHARE * 100))
        return {f"hit_rate_{pct}": _figure(self.hit_rate(HEADLINE_SHARE)),
                f"pai_{pct}": _figure(self.pai(HEADLINE_SHARE)),
                "incidents": self.incidents, "n_cells": self.n_cells}

    def summary(self) -> dict[str, float]:
        """``pai_1, pai_5, pai_10, pei_*, hit_rate_*`` (share in percent in the key)."""
        out: dict[str, float] = {}
        for share in self.shares:
            pct = int(round(share * 100))
            out[f"pai_{pct}"] = _figure(self.pai(share))
            out[f"pei_{pct}"] = _figure(self.pei(share))
            out[f"hit_rate_{pct}"] = _figure(self.hit_rate(share))
        out["incidents"] = self.incidents
        out["periods"] = self.periods
        return out

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        """Area share and hit rate pairs for plotting."""
        rate = self.curve_hits / self.incidents if self.incidents else np.full(len(CURVE_SHARES), np.nan)
        return CURVE_SHARES, rate


def pooled_pai(predicted: np.ndarray, actual: np.ndarray, share: float = HEADLINE_SHARE) -> float:
    """PAI at ``share`` pooled over many periods at once, for validation inside the training years.

    Parameters
    ----------
    predicted, actual : numpy.ndarray
        Cells x periods.  Incidents outside the cells are not counted (every
        candidate being compared misses them alike).

    Notes
    -----
    Ties are broken arbitrarily (``argpartition``), unlike :class:`Scoreboard`;
    candidates are compared on smooth scores where ties are rare.
    """
    n_cells = predicted.shape[0]
    k = top_k(n_cells, share)
    total = float(actual.sum())
    if total == 0 or predicted.shape[1] == 0:
        return float("nan")
    top = np.argpartition(-predicted, k - 1, axis=0)[:k]
    hits = float(np.take_along_axis(actual, top, axis=0).sum())
    return (hits / total) / (k / n_cells)
