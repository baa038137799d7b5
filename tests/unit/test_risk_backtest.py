"""Rolling-origin backtests use only the past, and score models on what followed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hexops.analytics.risk import FutureLeakError, build_counts, run_backtest
from hexops.analytics.risk.forecasters.kde import KernelDensity
from hexops.analytics.risk.events import points_to_cells
from hexops.analytics.risk.history import History
from tests.fixtures.risk import synthetic_incidents

DAY = pd.Timedelta(days=1)


def _matrix(days: int = 90):
    frame = synthetic_incidents(days=days)
    events = pd.DataFrame({
        "time": frame["time"],
        "cell": points_to_cells(frame["latitude"].to_numpy(), frame["longitude"].to_numpy(), 9),
    })
    origin = pd.Timestamp("2026-01-01", tz="UTC")
    return build_counts(events, origin=origin, end=origin + days * DAY, bin_width=DAY), events


class SpyForecaster:
    """Records the last bin and latest event time it could see at every call."""

    name = "spy"
    refit_every = pd.Timedelta(days=5)

    def __init__(self):
        self.calls: list[tuple[str, int, int, pd.Timestamp]] = []

    def _look(self, kind: str, history: History) -> None:
        seen = history.counts()
        last_bin = int(seen.nonzero()[1].max()) if seen.nnz else -1
        self.calls.append((kind, history.cutoff, last_bin, history.cutoff_time))

    def fit(self, history):
        self._look("fit", history)
        return self

    def predict(self, history):
        self._look("predict", history)
        return np.asarray(history.window_sum(7), dtype=float)

    def explain(self, history):
        return {"recent": self.predict(history)}


class PeekingForecaster(SpyForecaster):
    """Tries to read the very bin it is asked to forecast."""

    def predict(self, history):
        return np.asarray(history.window_sum(1, end=history.cutoff + 1), dtype=float)


def test_a_backtest_never_shows_a_model_anything_at_or_after_its_cutoff():
    matrix, _ = _matrix()
    spy = SpyForecaster()
    run_backtest(matrix, [spy], 60, 90, progress=False)
    assert len([c for c in spy.calls if c[0] == "predict"]) == 30
    assert len([c for c in spy.calls if c[0] == "fit"]) == 6
    for _, cutoff, last_bin, _ in spy.calls:
        assert last_bin < cutoff


def test_a_model_that_peeks_at_the_bin_it_forecasts_is_stopped():
    matrix, _ = _matrix()
    with pytest.raises(FutureLeakError):
        run_backtest(matrix, [PeekingForecaster()], 60, 62, progress=False)


def test_the_history_at_a_cutoff_holds_exactly_the_events_before_it():
    matrix, events = _matrix()
    cutoff = 45
    history = matrix.until(cutoff)
    expected = (events["time"] < history.cutoff_time).sum()
    assert history.counts().sum() + matrix.outside[:cutoff].sum() == pytest.approx(expected)
    with pytest.raises(FutureLeakError):
        history.counts(0, cutoff + 1)
    with pytest.raises(FutureLeakError):
        history.exposure(3, cutoff + 2)


def test_changing_the_future_does_not_change_a_forecast():
    matrix, events = _matrix()
    cutoff = 70
    before = KernelDensity().predict(matrix.until(cutoff))
    later = events["time"] >= matrix.bin_start(cutoff)
    shuffled = events.copy()
    shuffled.loc[later, "cell"] = np.random.default_rng(1).permutation(shuffled.loc[later, "cell"].to_numpy())
    altered = build_counts(shuffled, origin=matrix.origin, end=matrix.origin + 90 * DAY,
                           bin_width=DAY, cells=matrix.cells)
    np.testing.assert_allclose(KernelDensity().predict(altered.until(cutoff)), before)


def test_the_backtest_report_names_every_model_and_the_best_by_pai_at_five_percent():
    matrix, _ = _matrix()
    result = run_backtest(matrix, [KernelDensity(), SpyForecaster()], 60, 90, progress=False)
    report = result.as_json()
    assert set(report["models"]) == {"kde", "spy"}
    for metrics in report["models"].values():
        assert {"pai_1", "pai_5", "pai_10", "pei_5", "hit_rate_5"} <= set(metrics)
    assert report["best"] == max(report["models"], key=lambda m: report["models"][m]["pai_5"])
