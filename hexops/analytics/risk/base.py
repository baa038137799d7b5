"""The one interface every crime-risk forecaster follows, and the spatial kernel they share.

A forecaster is fitted on a :class:`~analytics.risk.history.History` (the
counts before a cutoff bin) and predicts, from a history, the expected
number of incidents per study cell in the next bin (the horizon: a shift,
a day or a week).  ``explain`` splits that expectation into named parts.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
from scipy import sparse

from hexops.analytics.risk.history import History, ring_adjacency


@runtime_checkable
class Forecaster(Protocol):
    """Fit on the past, predict the next bin.

    Attributes
    ----------
    name : str
        Short name used in reports; a forecaster offered to users registers it
        with :func:`~analytics.risk.registry.register_forecaster`.
    refit_every : pandas.Timedelta
        How long a rolling backtest may reuse a fit for; ``predict``
        always reads the newest history, only the parameters are reused.
    """

    name: str
    refit_every: pd.Timedelta

    def fit(self, history: History) -> "Forecaster":
        """Learn parameters from ``history`` (nothing at or after its cutoff)."""

    def predict(self, history: History) -> np.ndarray:
        """Expected incidents per study cell in bin ``history.cutoff`` (float64, cells,)."""

    def explain(self, history: History) -> dict[str, np.ndarray]:
        """Named additive parts of the prediction (each cells,); they sum to ``predict``."""


def gaussian_ring_kernel(
    cells: np.ndarray, sigma_rings: float, max_ring: int = 3, *, by_rows: bool = False
) -> sparse.csr_matrix:
    """A row-normalised Gaussian smoothing matrix over H3 grid distance.

    Parameters
    ----------
    cells : numpy.ndarray of int64
        Study cells (one H3 resolution).
    sigma_rings : float
        Bandwidth in grid steps (at resolution 9 one step is about 350 m
        between centres).
    max_ring : int
        Truncation; weights beyond it are negligible for ``sigma <= 1.5``.
    by_rows : bool
        Normalise each row by its own weights (a weighted average over the
        cells present), which keeps a rate's level at the study area's edge.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``K @ x`` spreads each cell's value over its neighbours.  By default
        rows are normalised by the full-grid ring sizes (1, 6, 12, 18 ...),
        not by the cells present, so a lone edge cell is not inflated.
    """
    n = len(cells)
    kernel = sparse.identity(n, format="csr", dtype=np.float64)
    total = 1.0
    for ring in range(1, max_ring + 1):
        weight = float(np.exp(-(ring**2) / (2.0 * sigma_rings**2)))
        kernel = kernel + weight * ring_adjacency(cells, ring)
        total += 6 * ring * weight
    if by_rows:
        sums = np.asarray(kernel.sum(axis=1)).ravel()
        return sparse.diags(1.0 / sums) @ kernel.tocsr()
    return (kernel / total).tocsr()
