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


def top_k(n_cells: int, share: float) -> int:
    """Number of cells in ``share`` of the area (at least one)."""
    return max(1, int(np.ceil(share * n_cells)))


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

    def summary(self) -> dict[str, float]:
        """``pai_1, pai_5, pai_10, pei_*, hit_rate_*`` (share in percent in the key)."""
        out: dict[str, float] = {}
        for share in self.shares:
            pct = int(round(share * 100))
            out[f"pai_{pct}"] = round(self.pai(share), 4)
            out[f"pei_{pct}"] = round(self.pei(share), 4)
            out[f"hit_rate_{pct}"] = round(self.hit_rate(share), 4)
        out["incidents"] = self.incidents
        out["periods"] = self.periods
        return out

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        """Area share and hit rate pairs for plotting."""
        rate = self.curve_hits / self.incidents if self.incidents else np.full(len(CURVE_SHARES), np.nan)
        return CURVE_SHARES, rate
