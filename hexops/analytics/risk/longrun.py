"""The long-run level: each hex's own incident count with a long, decaying memory.

This is the backbone of hexops's models (``hawkes`` and ``gbm``).  Why not
a kernel-smoothed surface: at H3 resolution 9 the hot places are one hex
wide, and every spatial smoothing measured blurred them (on Chicago's
aggravated assaults, 2018-2019, PAI at 5%: a one-ring Gaussian kernel 4.32,
soft binning with a 80 m kernel 4.87, the hex's own count 4.92).  Why a
decaying memory rather than last year's count: one year of a hex's counts
is noisy (a hex with 20 incidents a year is known to +-20%), and older years
still say where incidents happen; a half-life of about two years ranked best
on both real data sets we measured, but it is not assumed: :func:`choose_half_life`
picks it per fit by a rolling validation over the last year before the cutoff.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hexops.analytics.risk.history import History
from hexops.analytics.risk.metrics import pooled_pai

#: Half-lives a fit chooses among.
HALF_LIVES: tuple[pd.Timedelta, ...] = tuple(pd.Timedelta(days=d) for d in (182, 365, 730, 1460))
#: The half-life used when the history is too short to validate.
DEFAULT_HALF_LIFE = pd.Timedelta(days=730)
#: How much of the newest history the validation forecasts (every bin of it).
VALIDATION_SPAN = pd.Timedelta(days=365)
#: The least history a validation origin must have behind it.
MIN_HISTORY = pd.Timedelta(days=182)
#: The shortest validation worth trusting; below it the default half-life is used.
MIN_VALIDATION = pd.Timedelta(days=28)


def to_bins(span: pd.Timedelta, bin_width: pd.Timedelta) -> float:
    """A span of time in bins (fractional)."""
    return float(span / bin_width)


def _normaliser(half_life_bins: float, available: np.ndarray | int) -> np.ndarray:
    """``1 / sum of weights`` over the ``available`` bins of history (a rate per bin)."""
    decay = 0.5 ** (1.0 / half_life_bins)
    available = np.maximum(np.asarray(available, dtype=np.float64), 1.0)
    return (1.0 - decay) / (1.0 - decay ** available)


def level(history: History, half_life_bins: float, end: int | None = None) -> np.ndarray:
    """Expected incidents per bin for each study cell from its decayed count before ``end``.

    Normalised by the weights of the bins actually in the history, so a short
    history gives a rate of the right size, not a smaller one.
    """
    end = history.cutoff if end is None else end
    return history.decayed_sum(half_life_bins, end) * _normaliser(half_life_bins, end)


def level_path(history: History, half_life_bins: float, start: int, stop: int) -> np.ndarray:
    """:func:`level` at every origin in ``[start, stop)``: cells x (stop - start), float32.

    Column ``j`` uses only bins before ``start + j``; ``stop`` may be at most
    one past the history's cutoff.
    """
    decay = 0.5 ** (1.0 / half_life_bins)
    running = history.decayed_sum(half_life_bins, start)
    counts = history.counts(start, stop - 1).toarray() if stop - 1 > start else np.zeros((len(running), 0))
    out = np.empty((len(running), stop - start), dtype=np.float32)
    norms = _normaliser(half_life_bins, np.arange(start, stop))
    for j in range(stop - start):
        out[:, j] = running * norms[j]
        if j < counts.shape[1]:
            running = running * decay + counts[:, j]
    return out


def choose_half_life(
    history: History,
    candidates: tuple[pd.Timedelta, ...] = HALF_LIVES,
    span: pd.Timedelta = VALIDATION_SPAN,
) -> tuple[pd.Timedelta, dict[str, float]]:
    """The candidate half-life whose level ranked the last ``span`` of history best.

    Every bin of the validation span is forecast from the bins before it and
    scored by pooled PAI at 5%; nothing at or after the history's cutoff is
    read.  With too little history the :data:`DEFAULT_HALF_LIFE` is returned.

    Returns
    -------
    half_life : pandas.Timedelta
    scores : dict
        Validation PAI at 5% per candidate (days as keys); empty when not validated.
    """
    width = history.bin_width
    span_bins = int(span / width)
    # Keep MIN_HISTORY behind the first validation origin, shortening the span if needed.
    span_bins = min(span_bins, history.cutoff - int(MIN_HISTORY / width))
    if span_bins < int(MIN_VALIDATION / width):
        return DEFAULT_HALF_LIFE, {}
    start = history.cutoff - span_bins
    actual = history.counts(start, history.cutoff).toarray()
    if actual.sum() == 0:
        return DEFAULT_HALF_LIFE, {}
    scores: dict[str, float] = {}
    for candidate in candidates:
        path = level_path(history, to_bins(candidate, width), start, history.cutoff)
        scores[str(candidate.days)] = round(pooled_pai(path, actual), 4)
    best = max(candidates, key=lambda c: (scores[str(c.days)], c == DEFAULT_HALF_LIFE))
    return best, scores
