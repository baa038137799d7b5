"""Patrol plans keep every rule: Koper visit lengths, revisit interval, cap, hold-out, units, shift."""

from __future__ import annotations

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hexops.analytics.patrol import PatrolParams, check_plan, effect_report, make_plan, travel_minutes
from hexops.analytics.patrol.solve import plan_value, solve_exact, solve_sectors, unit_bases
from tests.fixtures.risk import CENTRE


def candidates(n: int, seed: int = 0, rings: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centre = h3i.latlng_to_cell(*CENTRE, 9)
    cells = np.array(sorted(h3i.grid_disk(centre, rings)), dtype=np.int64)
    cells = rng.choice(cells, size=min(n, len(cells)), replace=False)
    ll = np.array([h3i.cell_to_latlng(int(c)) for c in cells])
    return pd.DataFrame({"cell": cells, "lat": ll[:, 0], "lon": ll[:, 1], "risk": rng.gamma(0.6, 0.3, len(cells))})


@pytest.fixture(scope="module")
def plan():
    return make_plan(candidates(300), PatrolParams(units=6, revisit_interval_minutes=60, max_visits_per_hex=3))


def test_a_generated_plan_passes_every_check(plan):
    assert check_plan(plan) == []
    assert len(plan.visits) > 20


def test_every_visit_lasts_twelve_to_sixteen_minutes(plan):
    minutes = plan.visits["end_min"] - plan.visits["start_min"]
    assert minutes.between(12, 16).all()
    assert minutes.nunique() > 1


def test_no_hex_is_revisited_sooner_than_the_interval_and_none_beyond_the_cap(plan):
    for _, group in plan.visits.sort_values("start_min").groupby("cell"):
        assert len(group) <= plan.params.max_visits_per_hex
        gaps = group["start_min"].to_numpy()[1:] - group["end_min"].to_numpy()[:-1]
        assert (gaps >= plan.params.revisit_interval_minutes - 1e-6).all()
    assert plan.visits["cell"].value_counts().max() >= 2


def test_held_out_hexes_come_from_the_high_risk_pool_and_are_never_visited(plan):
    assert len(plan.holdout) == round(0.1 * np.ceil(0.2 * 300))
    assert not set(plan.holdout) & set(plan.visits["cell"])
    pool = plan.candidates.nlargest(int(np.ceil(0.2 * 300)), "risk")["cell"]
    assert set(plan.holdout) <= set(pool)


def test_tours_use_only_the_units_on_shift_and_end_back_at_base_within_the_shift(plan):
    assert set(plan.visits["unit"]) <= set(range(6))
    assert plan.visits["unit"].nunique() == 6
    centres = plan.candidates.set_index("cell")
    for unit, tour in plan.visits.sort_values("seq").groupby("unit"):
        base = plan.bases.loc[unit, ["lat", "lon"]].to_numpy(dtype=float)
        last = centres.loc[tour["cell"].iloc[-1]]
        back = travel_minutes(last["lat"], last["lon"], base[0], base[1], plan.params)
        assert tour["end_min"].iloc[-1] + back <= plan.params.shift_minutes + 1e-6
        assert (tour["start_min"].to_numpy()[1:] >= tour["end_min"].to_numpy()[:-1]).all()


def test_the_visit_order_is_random_not_by_risk():
    cands = candidates(120, seed=3)
    first = make_plan(cands, PatrolParams(units=2, seed=1)).visits
    second = make_plan(cands, PatrolParams(units=2, seed=2)).visits
    assert list(first.sort_values(["unit", "seq"])["cell"]) != list(second.sort_values(["unit", "seq"])["cell"])


def test_the_check_catches_a_broken_plan(plan):
    broken = plan.visits.copy()
    broken.loc[broken.index[0], "end_min"] = broken.loc[broken.index[0], "start_min"] + 30
    broken.loc[broken.index[1], "cell"] = int(plan.holdout[0])
    damaged = type(plan)(plan.params, broken, plan.bases, plan.holdout, plan.candidates, plan.objective)
    problems = check_plan(damaged)
    assert any("outside 12-16" in p for p in problems)
    assert any("held-out" in p for p in problems)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    units=st.integers(1, 8),
    n=st.integers(1, 80),
    shift=st.floats(20.0, 600.0),
    interval=st.floats(0.0, 240.0),
    cap=st.integers(1, 5),
    visit_min=st.integers(12, 16),
    speed=st.floats(2.0, 60.0),
    holdout=st.floats(0.0, 0.9),
    seed=st.integers(0, 10_000),
)
def test_any_plan_keeps_the_rules_for_any_settings(units, n, shift, interval, cap, visit_min, speed, holdout, seed):
    params = PatrolParams(units=units, shift_minutes=shift, revisit_interval_minutes=interval,
                          max_visits_per_hex=cap, visit_min=visit_min, speed_kmh=speed, holdout_share=holdout,
                          seed=seed)
    plan = make_plan(candidates(n, seed=seed), params)
    assert check_plan(plan) == []
    assert len(plan.bases) == units


def test_the_sector_plan_is_within_five_percent_of_the_exact_optimum_on_a_small_city():
    cands = candidates(30, seed=5)
    params = PatrolParams(units=3, shift_minutes=180, holdout_share=0)
    lat, lon, risk = (cands[c].to_numpy() for c in ("lat", "lon", "risk"))
    bases = unit_bases(lat, lon, risk, 3, 0)
    _, visits = solve_sectors(lat, lon, risk, bases, params)
    heuristic = plan_value(visits, risk, params)
    optimum, _ = solve_exact(lat, lon, risk, bases, params)
    assert heuristic <= optimum + 1e-6
    assert (optimum - heuristic) / optimum <= 0.05


def test_bad_settings_are_refused_with_reasons():
    with pytest.raises(ValueError, match="12 <= visit_min"):
        PatrolParams(units=2, visit_min=10)
    with pytest.raises(ValueError, match="units"):
        PatrolParams(units=0)


def test_the_effect_report_compares_observed_with_expected_by_role():
    hexes = pd.DataFrame({"cell": [1, 2, 3, 4], "role": ["treated", "treated", "holdout", "holdout"],
                          "expected": [2.0, 2.0, 2.0, 2.0]})
    report = effect_report(hexes, pd.Series({1: 1.0, 2: 1.0, 3: 2.0, 4: 2.0}), pd.Series({1: 30.0, 2: 15.0}))
    assert report["treated"]["ratio"] == 0.5
    assert report["holdout"]["ratio"] == 1.0
    assert report["treated"]["dosage_min"] == 45.0
    assert report["rate_ratio"] == 0.5
    low, high = report["rate_ratio_95"]
    assert low < 0.5 < high
