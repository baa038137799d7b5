"""Incident counts per H3 cell and time bin, and the cutoff-guarded view forecasters see.

Every forecaster in :mod:`analytics.risk` reads the past through a
:class:`History`: a window onto one :class:`CountMatrix` that ends at a
cutoff bin.  Asking it for anything at or after the cutoff raises
:class:`FutureLeakError`, so a backtest cannot hand a model the events it is
scored on, however the model is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
from scipy import sparse

from hexops.analytics.risk.errors import FutureLeakError, RiskInputError

#: Horizons a forecast can cover, as bin widths.
HORIZONS: dict[str, pd.Timedelta] = {
    "shift": pd.Timedelta(hours=8),
    "8h": pd.Timedelta(hours=8),
    "1d": pd.Timedelta(days=1),
    "day": pd.Timedelta(days=1),
    "7d": pd.Timedelta(days=7),
    "week": pd.Timedelta(days=7),
}


def parse_horizon(text: str) -> pd.Timedelta:
    """``shift``/``8h``, ``1d``/``day`` or ``7d``/``week`` as a Timedelta."""
    try:
        return HORIZONS[text.strip().lower()]
    except KeyError:
        raise RiskInputError(f"horizon {text!r} is not one of {sorted(set(HORIZONS))}") from None


def ring_adjacency(cells: np.ndarray, ring: int = 1) -> sparse.csr_matrix:
    """The 0/1 matrix of cells exactly ``ring`` grid steps apart among ``cells``.

    ``cells`` are H3 cells of one resolution; neighbours outside ``cells``
    are ignored, and the diagonal is zero for ``ring >= 1``.
    """
    index = {int(c): i for i, c in enumerate(cells.tolist())}
    rows: list[int] = []
    cols: list[int] = []
    for i, cell in enumerate(cells.tolist()):
        for nb in h3i.grid_ring(int(cell), ring):
            j = index.get(nb)
            if j is not None:
                rows.append(i)
                cols.append(j)
    data = np.ones(len(rows), dtype=np.float64)
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(cells), len(cells)))


@dataclass
class CountMatrix:
    """Weighted incident counts per cell (rows) and time bin (columns).

    Attributes
    ----------
    cells : numpy.ndarray of int64
        The study area: H3 cells (one resolution) in row order.
    origin : pandas.Timestamp
        UTC start of bin 0.
    bin_width : pandas.Timedelta
        Width of every bin (the forecast horizon).
    counts : scipy.sparse.csc_matrix
        ``counts[i, t]`` is the weighted number of incidents in cell ``i``
        during bin ``t``; patrol-found incidents may weigh less than one
        (see :mod:`analytics.risk.feedback`).
    exposure : numpy.ndarray or None
        Optional footfall per cell and bin (mean people visible to cameras,
        cells x bins, NaN where no camera saw the cell).
    outside : numpy.ndarray or None
        Weighted incidents per bin that fell outside the study cells; they
        count as misses when a forecast is scored.
    """

    cells: np.ndarray
    origin: pd.Timestamp
    bin_width: pd.Timedelta
    counts: sparse.csc_matrix
    exposure: np.ndarray | None = None
    outside: np.ndarray | None = None
    _cum: np.ndarray | None = field(default=None, repr=False)
    _adjacency: sparse.csr_matrix | None = field(default=None, repr=False)

    @property
    def n_bins(self) -> int:
        return int(self.counts.shape[1])

    def bin_of(self, when: pd.Timestamp) -> int:
        """Index of the bin that starts at ``when`` (must be on the bin grid)."""
        offset = (pd.Timestamp(when) - self.origin) / self.bin_width
        if offset != int(offset):
            raise RiskInputError(f"{when} is not on the {self.bin_width} bin grid starting {self.origin}")
        return int(offset)

    def bin_start(self, index: int) -> pd.Timestamp:
        return self.origin + index * self.bin_width

    def cumulative(self) -> np.ndarray:
        """Dense cumulative counts along time, ``cum[:, t]`` = counts in bins ``< t``."""
        if self._cum is None:
            dense = self.counts.toarray().astype(np.float32)
            cum = np.zeros((dense.shape[0], dense.shape[1] + 1), dtype=np.float32)
            np.cumsum(dense, axis=1, out=cum[:, 1:])
            self._cum = cum
        return self._cum

    def adjacency(self) -> sparse.csr_matrix:
        if self._adjacency is None:
            self._adjacency = ring_adjacency(self.cells)
        return self._adjacency

    def until(self, cutoff_bin: int) -> "History":
        """The past as seen at the start of bin ``cutoff_bin``."""
        if not 0 <= cutoff_bin <= self.n_bins:
            raise RiskInputError(f"cutoff bin {cutoff_bin} outside 0..{self.n_bins}")
        return History(self, cutoff_bin)


def build_counts(
    events: pd.DataFrame,
    *,
    origin: pd.Timestamp,
    end: pd.Timestamp,
    bin_width: pd.Timedelta,
    cells: np.ndarray | None = None,
) -> CountMatrix:
    """Bin incidents into a :class:`CountMatrix`.

    Parameters
    ----------
    events : pandas.DataFrame
        Columns ``time`` (tz-aware UTC), ``cell`` (int64 H3) and optionally
        ``weight`` (default 1).
    origin, end : pandas.Timestamp
        UTC span ``[origin, end)``; events outside it are dropped.
    bin_width : pandas.Timedelta
        Bin width (the horizon).
    cells : numpy.ndarray, optional
        The study area.  By default the cells with at least one event before
        ``end``; events in other cells are counted per bin in ``outside``
        (they still count as misses when scoring).
    """
    for column in ("time", "cell"):
        if column not in events.columns:
            raise RiskInputError(f"events lack the column {column!r}")
    origin = pd.Timestamp(origin)
    end = pd.Timestamp(end)
    n_bins = int(np.ceil((end - origin) / bin_width))
    times = pd.to_datetime(events["time"], utc=True)
    in_span = ((times >= origin) & (times < end)).to_numpy()
    frame = events.loc[in_span]
    bins = ((times[in_span] - origin) // bin_width).to_numpy(dtype=np.int64)
    if cells is None:
        cells = np.unique(frame["cell"].to_numpy(dtype=np.int64))
    cells = np.asarray(cells, dtype=np.int64)
    order = np.argsort(cells)
    sorted_cells = cells[order]
    raw = frame["cell"].to_numpy(dtype=np.int64)
    pos = np.searchsorted(sorted_cells, raw).clip(0, max(len(cells) - 1, 0))
    known = (sorted_cells[pos] == raw) if len(cells) else np.zeros(len(raw), dtype=bool)
    rows = order[pos[known]]
    weight = frame["weight"].to_numpy(dtype=np.float64) if "weight" in frame.columns else np.ones(len(frame))
    counts = sparse.csc_matrix(
        (weight[known], (rows, bins[known])), shape=(len(cells), n_bins), dtype=np.float64
    )
    counts.sum_duplicates()
    outside = np.bincount(bins[~known], weights=weight[~known], minlength=n_bins).astype(np.float64)
    return CountMatrix(cells, origin, bin_width, counts, outside=outside)


class History:
    """The counts before a cutoff bin; reading at or past the cutoff raises FutureLeakError.

    Parameters
    ----------
    matrix : CountMatrix
    cutoff : int
        The first bin that is *not* history (the bin being forecast).
    """

    def __init__(self, matrix: CountMatrix, cutoff: int):
        self._matrix = matrix
        self.cutoff = int(cutoff)

    @property
    def cells(self) -> np.ndarray:
        return self._matrix.cells

    @property
    def bin_width(self) -> pd.Timedelta:
        return self._matrix.bin_width

    @property
    def cutoff_time(self) -> pd.Timestamp:
        """UTC start of the bin being forecast; nothing at or after it is visible."""
        return self._matrix.bin_start(self.cutoff)

    def adjacency(self) -> sparse.csr_matrix:
        """First-ring neighbours among the study cells (no time in it, so no leak)."""
        return self._matrix.adjacency()

    def _check(self, stop: int) -> None:
        if stop > self.cutoff:
            raise FutureLeakError(
                f"asked for bins up to {stop} but the history ends at bin {self.cutoff} ({self.cutoff_time})"
            )

    def counts(self, start: int = 0, stop: int | None = None) -> sparse.csc_matrix:
        """Counts of bins ``[start, stop)`` (default: all history), cells x bins."""
        stop = self.cutoff if stop is None else stop
        self._check(stop)
        return self._matrix.counts[:, max(start, 0):stop]

    def window_sum(self, length: int, end: int | None = None) -> np.ndarray:
        """Per-cell counts over the ``length`` bins ending (exclusive) at ``end``."""
        end = self.cutoff if end is None else end
        self._check(end)
        cum = self._matrix.cumulative()
        return cum[:, end] - cum[:, max(end - length, 0)]

    def decayed_sum(self, half_life: float, end: int | None = None) -> np.ndarray:
        """Per-cell counts before ``end``, each bin weighted ``0.5 ** (age / half_life)``.

        ``age`` is in bins, 0 for the bin just before ``end``; bins older than
        forty half-lives weigh under 1e-12 and are skipped.
        """
        end = self.cutoff if end is None else end
        self._check(end)
        start = max(0, end - int(np.ceil(40 * half_life)))
        if end <= start:
            return np.zeros(len(self.cells))
        ages = np.arange(end - 1 - start, -1, -1, dtype=np.float64)
        return np.asarray(self._matrix.counts[:, start:end] @ (0.5 ** (ages / half_life)), dtype=np.float64)

    def exposure(self, length: int, end: int | None = None) -> np.ndarray | None:
        """Mean footfall per cell over the ``length`` bins before ``end`` (NaN if unmeasured)."""
        end = self.cutoff if end is None else end
        self._check(end)
        if self._matrix.exposure is None:
            return None
        window = self._matrix.exposure[:, max(end - length, 0):end]
        if window.shape[1] == 0:
            return np.full(len(self.cells), np.nan)
        # Cells no camera saw stay NaN (unmeasured, not zero footfall).
        measured = np.isfinite(window)
        total = np.where(measured, window, 0.0).sum(axis=1)
        count = measured.sum(axis=1)
        return np.divide(total, count, out=np.full(len(self.cells), np.nan), where=count > 0)

    def bin_start(self, index: int) -> pd.Timestamp:
        return self._matrix.bin_start(index)
