"""Kernel density hotspots: what most hotspot-mapping products draw (the peer method).

The last year's incidents of each cell are spread over its neighbours with a
Gaussian kernel on H3 grid distance, and the result is scaled to an
expected count per bin.  It loses to the hex's own count at resolution 9
(hot places are one hex wide and the kernel blurs them; see docs/risk.md),
and is kept as the yardstick of common practice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from hexops.analytics.risk.base import gaussian_ring_kernel
from hexops.analytics.risk.history import History
from hexops.analytics.risk.registry import register_forecaster


@register_forecaster(
    "kde", kind="peer", label="kernel density hotspots", quick=True,
    definition="last year's incidents spread over neighbouring hexes by a Gaussian kernel (about 350 m)",
)
@dataclass
class KernelDensity:
    """Gaussian kernel density of the incidents in a trailing window.

    Parameters
    ----------
    window : pandas.Timedelta
        How far back incidents count (default one year).
    sigma_rings : float
        Kernel bandwidth in H3 grid steps (about 350 m at resolution 9).
    """

    window: pd.Timedelta = pd.Timedelta(days=365)
    sigma_rings: float = 1.0
    name: str = "kde"
    refit_every: pd.Timedelta = pd.Timedelta(days=36_500)
    _kernel: sparse.csr_matrix | None = field(default=None, repr=False)
    _cells_id: int | None = field(default=None, repr=False)

    def _window_bins(self, history: History) -> int:
        return max(1, int(self.window / history.bin_width))

    def fit(self, history: History) -> "KernelDensity":
        # The kernel depends only on the study cells, not on time.
        if self._kernel is None or self._cells_id != id(history.cells):
            self._kernel = gaussian_ring_kernel(history.cells, self.sigma_rings)
            self._cells_id = id(history.cells)
        return self

    def predict(self, history: History) -> np.ndarray:
        return self.explain(history)["recent incidents nearby"]

    def explain(self, history: History) -> dict[str, np.ndarray]:
        self.fit(history)
        bins = min(self._window_bins(history), max(history.cutoff, 1))
        recent = history.window_sum(bins).astype(np.float64) / bins
        return {"recent incidents nearby": np.asarray(self._kernel @ recent, dtype=np.float64)}
