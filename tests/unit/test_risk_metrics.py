"""PAI, PEI and hit rate behave as their definitions say."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hexops.analytics.risk.metrics import Scoreboard, top_k


def test_a_forecast_that_flags_the_only_busy_cell_has_the_highest_possible_pai():
    board = Scoreboard(100)
    actual = np.zeros(100)
    actual[7] = 5
    predicted = np.zeros(100)
    predicted[7] = 1.0
    board.add(predicted, actual)
    assert board.hit_rate(0.01) == 1.0
    assert board.pai(0.01) == pytest.approx(100.0)
    assert board.pei(0.01) == 1.0


def test_incidents_outside_the_study_cells_count_as_misses():
    board = Scoreboard(10)
    actual = np.zeros(10)
    actual[0] = 3
    board.add(np.arange(10, 0, -1, dtype=float), actual, outside=1.0)
    assert board.hit_rate(0.10) == pytest.approx(0.75)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 4), min_size=20, max_size=200),
    st.integers(0, 2**31 - 1),
)
def test_hit_rate_and_pei_stay_between_zero_and_one_and_grow_with_area(counts, seed):
    actual = np.array(counts, dtype=float)
    predicted = np.random.default_rng(seed).random(len(actual))
    board = Scoreboard(len(actual))
    board.add(predicted, actual)
    rates = [board.hit_rate(s) for s in (0.01, 0.05, 0.10)]
    if actual.sum() == 0:
        assert all(np.isnan(r) for r in rates)
        return
    assert all(0.0 <= r <= 1.0 for r in rates)
    assert rates == sorted(rates)
    for share in (0.01, 0.05, 0.10):
        assert 0.0 <= board.pei(share) <= 1.0 or np.isnan(board.pei(share))
        assert board.pai(share) == pytest.approx(board.hit_rate(share) * len(actual) / top_k(len(actual), share))


def test_the_perfect_forecast_has_a_pei_of_one():
    rng = np.random.default_rng(3)
    board = Scoreboard(300)
    for _ in range(5):
        actual = rng.poisson(0.3, 300).astype(float)
        board.add(actual + 1e-9 * rng.random(300), actual)
    assert board.pei(0.05) == pytest.approx(1.0)
