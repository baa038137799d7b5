"""The naive baselines and the long-run level: what they count, and a half-life chosen from the past alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from hexops.analytics.risk import make_models
from hexops.analytics.risk.history import CountMatrix
from hexops.analytics.risk.longrun import DEFAULT_HALF_LIFE, choose_half_life, level, level_path
from tests.unit.test_risk_models import ORIGIN, _grid_hawkes

DAY = pd.Timedelta(days=1)


def _matrix(counts: np.ndarray) -> CountMatrix:
    cells = np.arange(counts.shape[0], dtype=np.int64) + 0x89411C00000FFFF
    return CountMatrix(cells, ORIGIN, DAY, sparse.csc_matrix(counts), outside=np.zeros(counts.shape[1]))


def test_naive_365_is_each_cells_count_over_the_last_year_per_day():
    rng = np.random.default_rng(0)
    counts = rng.poisson(0.2, size=(30, 800)).astype(float)
    history = _matrix(counts).until(700)
    naive_365, naive_recent = make_models(("naive_365", "naive_recent"))
    np.testing.assert_allclose(naive_365.predict(history), counts[:, 335:700].sum(axis=1) / 365)
    weights = 0.5 ** (np.arange(699, -1, -1) / 30.0)
    expected = counts[:, :700] @ weights * (1 - 0.5 ** (1 / 30)) / (1 - 0.5 ** (700 / 30))
    np.testing.assert_allclose(naive_recent.predict(history), expected)


def test_the_level_path_matches_the_level_at_every_origin():
    rng = np.random.default_rng(1)
    history = _matrix(rng.poisson(0.3, size=(12, 400)).astype(float)).until(400)
    path = level_path(history, 50.0, 300, 401)
    for j, origin in enumerate(range(300, 401)):
        np.testing.assert_allclose(path[:, j], level(history, 50.0, origin), rtol=1e-5)


def test_a_shifting_pattern_chooses_a_shorter_memory_than_a_steady_one():
    rng = np.random.default_rng(2)
    steady = rng.poisson(np.linspace(0.05, 0.6, 60)[:, None], size=(60, 1200)).astype(float)
    # The same cells, with the busy and quiet halves trading places every 300 days.
    rates = np.linspace(0.05, 0.6, 60)
    shifting = np.hstack([rng.poisson((rates if k % 2 else rates[::-1])[:, None], size=(60, 300))
                          for k in range(4)]).astype(float)
    steady_choice, steady_scores = choose_half_life(_matrix(steady).until(1200))
    shifting_choice, shifting_scores = choose_half_life(_matrix(shifting).until(1200))
    assert shifting_choice < steady_choice
    assert set(steady_scores) == {"182", "365", "730", "1460"}


def test_the_half_life_is_chosen_from_the_history_alone():
    rng = np.random.default_rng(3)
    counts = rng.poisson(0.2, size=(40, 900)).astype(float)
    chosen = choose_half_life(_matrix(counts).until(700))
    counts[:, 700:] = rng.permutation(counts[:, 700:].ravel()).reshape(40, 200) * 5
    assert choose_half_life(_matrix(counts).until(700)) == chosen


def test_a_short_history_falls_back_to_the_default_half_life():
    counts = np.random.default_rng(4).poisson(0.3, size=(10, 150)).astype(float)
    assert choose_half_life(_matrix(counts).until(150)) == (DEFAULT_HALF_LIFE, {})


def test_hawkes_background_follows_each_cells_long_run_level():
    matrix = _grid_hawkes([0.3], mu=0.05, bins=700)
    model = make_models(("hawkes",))[0].fit(matrix.until(700))
    parts = model.explain(matrix.until(700))
    history = matrix.until(700)
    level_now = level(history, model.fitted_half_life / DAY)
    np.testing.assert_allclose(parts["long-run level"], model.scale * level_now + model.common)
    assert model.alpha_same[0] == pytest.approx(0.3, abs=0.1)
