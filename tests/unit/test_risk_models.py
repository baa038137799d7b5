"""The forecasters: EM recovers self-excitation, explanations add up, predictions are sane."""

from __future__ import annotations

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from hexops.analytics.risk import build_counts, make_models
from hexops.analytics.risk.forecasters.gbm import GradientBoosted
from hexops.analytics.risk.forecasters.hawkes import HawkesGrid
from hexops.analytics.risk.forecasters.kde import KernelDensity
from hexops.analytics.risk.errors import RiskInputError
from hexops.analytics.risk.events import points_to_cells
from hexops.analytics.risk.history import CountMatrix
from tests.fixtures.risk import CENTRE, synthetic_incidents

DAY = pd.Timedelta(days=1)
ORIGIN = pd.Timestamp("2025-01-01", tz="UTC")


def _grid_hawkes(alpha_same: list[float], mu: float = 0.05, bins: int = 500, seed: int = 0) -> CountMatrix:
    """Counts drawn from a grid Hawkes process with same-cell triggering at lags 1, 2, ..."""
    rng = np.random.default_rng(seed)
    centre = h3i.latlng_to_cell(*CENTRE, 9)
    cells = np.array(sorted(h3i.grid_disk(centre, 3)), dtype=np.int64)
    counts = np.zeros((len(cells), bins))
    for t in range(bins):
        lam = np.full(len(cells), mu)
        for lag, a in enumerate(alpha_same, start=1):
            if t - lag >= 0:
                lam += a * counts[:, t - lag]
        counts[:, t] = rng.poisson(lam)
    return CountMatrix(cells, ORIGIN, DAY, sparse.csc_matrix(counts), outside=np.zeros(bins))


def test_em_finds_the_self_excitation_that_generated_the_data():
    matrix = _grid_hawkes([0.3, 0.15])
    model = HawkesGrid(train_window=pd.Timedelta(days=480), lag_span=pd.Timedelta(days=5)).fit(matrix.until(500))
    assert model.alpha_same[0] == pytest.approx(0.3, abs=0.08)
    assert model.alpha_same[1] == pytest.approx(0.15, abs=0.06)
    assert model.alpha_same[2:].sum() + model.alpha_near.sum() < 0.05
    assert model.mu.mean() == pytest.approx(0.05, rel=0.2)


def test_em_finds_little_triggering_in_pure_background_noise():
    matrix = _grid_hawkes([])
    model = HawkesGrid(train_window=pd.Timedelta(days=480), lag_span=pd.Timedelta(days=5)).fit(matrix.until(500))
    assert model.triggered_share < 0.08


@pytest.fixture(scope="module")
def matrix() -> CountMatrix:
    frame = synthetic_incidents(days=150)
    events = pd.DataFrame({
        "time": frame["time"],
        "cell": points_to_cells(frame["latitude"].to_numpy(), frame["longitude"].to_numpy(), 9),
    })
    return build_counts(events, origin=pd.Timestamp("2026-01-01", tz="UTC"),
                        end=pd.Timestamp("2026-01-01", tz="UTC") + 150 * DAY, bin_width=DAY)


@pytest.mark.parametrize("model", [
    KernelDensity(window=pd.Timedelta(days=60)),
    HawkesGrid(train_window=pd.Timedelta(days=90), iterations=15),
    GradientBoosted(train_span=pd.Timedelta(days=60), max_iter=30),
], ids=lambda m: m.name)
def test_every_forecaster_explains_its_prediction_in_parts_that_add_up(model, matrix):
    history = matrix.until(140)
    model.fit(history)
    predicted = model.predict(history)
    parts = model.explain(history)
    assert predicted.shape == (len(matrix.cells),)
    assert np.all(predicted >= 0)
    np.testing.assert_allclose(np.sum(list(parts.values()), axis=0), predicted, rtol=1e-6, atol=1e-9)


def test_the_forecasters_rank_the_persistent_hotspots_above_the_quiet_cells(matrix):
    history = matrix.until(140)
    busy = np.asarray(history.window_sum(140)).argsort()[::-1][:5]
    for model in make_models(("kde", "hawkes")):
        ranks = (-model.fit(history).predict(history)).argsort().argsort()
        assert np.median(ranks[busy]) < 0.1 * len(matrix.cells)


def test_an_unknown_model_name_is_refused_with_the_choices():
    with pytest.raises(RiskInputError, match="gbm"):
        make_models(("kde", "prophecy"))


def test_footfall_enters_the_gradient_boosted_features_when_measured(matrix):
    rng = np.random.default_rng(0)
    exposure = rng.gamma(2.0, 20.0, size=(len(matrix.cells), matrix.n_bins))
    with_footfall = CountMatrix(matrix.cells, matrix.origin, matrix.bin_width, matrix.counts,
                                exposure=exposure, outside=matrix.outside)
    model = GradientBoosted(train_span=pd.Timedelta(days=60), max_iter=20)
    model.fit(with_footfall.until(140))
    assert {"footfall", "per_passerby"} <= set(model.feature_names)
    assert "footfall" in model.explain(with_footfall.until(140))
