"""Crowd analytics: ground shares, densities, bands, Fruin levels, trends and alerts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from hexops.analytics.crowd import (
    AlertConfig,
    camera_densities,
    ground_shares,
    level_of_service,
    minutes_to_thresholds,
    region_estimates,
    step_alerts,
    trend_slopes,
)


def _estimate(shares, people, saturated, fov_m2, last=None, reporting=None):
    pairs = shares.pairs
    regions = list(shares.regions.index)
    cams = sorted(set(pairs["camera_id"]))
    reg_pos = np.array([regions.index(r) for r in pairs["region"]])
    cam_pos = np.array([cams.index(c) for c in pairs["camera_id"]])
    dens, high = camera_densities(np.array(people, float), np.array(fov_m2, float), np.array(saturated), last)
    rep = np.ones(len(cams), bool) if reporting is None else np.array(reporting)
    return region_estimates(reg_pos, cam_pos, pairs["share_m2"].to_numpy(), shares.regions["area_m2"].to_numpy(),
                            dens, high, np.array(saturated), rep)


def test_two_cameras_watching_the_same_pavement_count_it_once():
    fov = box(0, 0, 10, 10)
    shares = ground_shares(["a", "b"], [fov, fov], ["z"], [box(0, 0, 20, 20)])
    assert shares.regions.loc["z", "covered_m2"] == pytest.approx(100.0)
    est = _estimate(shares, people=[100, 100], saturated=[False, False], fov_m2=[100, 100])
    assert est.loc[0, "density"] == pytest.approx(1.0)
    # 100 people seen twice is still 100 people on the seen 100 m2.
    assert est.loc[0, "density"] * est.loc[0, "covered_m2"] == pytest.approx(100.0)


def test_a_thin_sliver_of_overlap_is_still_counted_once():
    fovs = [box(0, 7, 11, 47), box(0, 46.5, 28, 72.5)]
    shares = ground_shares(["a", "b"], fovs, ["z"], [box(10, 10, 90, 90)])
    assert shares.pairs["share_m2"].sum() == pytest.approx(504.5)


def test_partly_overlapping_cameras_split_the_shared_strip_evenly():
    shares = ground_shares(["a", "b"], [box(0, 0, 10, 10), box(5, 0, 15, 10)], ["z"], [box(-50, -50, 50, 50)])
    by_cam = shares.pairs.set_index("camera_id")["share_m2"]
    assert by_cam["a"] == pytest.approx(75.0)
    assert by_cam["b"] == pytest.approx(75.0)
    assert shares.regions.loc["z", "covered_m2"] == pytest.approx(150.0)


def test_a_field_of_view_across_two_hexes_is_shared_between_them_by_area():
    shares = ground_shares(["a"], [box(0, 0, 10, 10)], [1, 2], [box(-10, 0, 4, 10), box(4, 0, 20, 10)])
    by_region = shares.pairs.set_index("region")["share_m2"]
    assert by_region[1] == pytest.approx(40.0)
    assert by_region[2] == pytest.approx(60.0)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 80), st.floats(0, 80), st.floats(1, 40), st.floats(1, 40)), min_size=1, max_size=6))
def test_shares_always_add_up_to_the_union_of_what_the_cameras_see(rects):
    from shapely import union_all

    fovs = [box(x, y, x + w, y + h) for x, y, w, h in rects]
    region = box(10, 10, 90, 90)
    shares = ground_shares([f"c{i}" for i in range(len(fovs))], fovs, ["z"], [region])
    union = union_all(fovs).intersection(region).area
    assert shares.pairs["share_m2"].sum() == pytest.approx(union, rel=1e-6, abs=1e-6)


def test_fruin_levels_follow_the_walkway_table():
    got = level_of_service(np.array([0.0, 0.31, 0.32, 0.43, 0.5, 0.8, 1.5, 2.15, 2.2, 6.0]))
    assert list(got) == ["A", "A", "B", "B", "C", "D", "E", "E", "F", "F"]


def test_a_saturated_camera_widens_the_band_instead_of_lowering_the_count():
    shares = ground_shares(["a", "b"], [box(0, 0, 10, 10), box(20, 0, 30, 10)], ["z"], [box(0, 0, 40, 10)])
    before = _estimate(shares, [300, 100], [False, False], [100, 100])
    # The detector saturates and its count collapses to 150.
    after = _estimate(shares, [150, 100], [True, False], [100, 100], last=np.array([3.0, np.nan]))
    assert after.loc[0, "people"] >= before.loc[0, "people"]
    assert after.loc[0, "people_high"] - after.loc[0, "people_low"] > before.loc[0, "people_high"] - before.loc[0, "people_low"]
    assert after.loc[0, "n_saturated"] == 1


def test_the_band_grows_as_less_of_the_zone_is_seen():
    fov = [box(0, 0, 10, 10)]
    small = ground_shares(["a"], fov, ["z"], [box(0, 0, 20, 10)])
    large = ground_shares(["a"], fov, ["z"], [box(0, 0, 80, 10)])
    s = _estimate(small, [100], [False], [100])
    g = _estimate(large, [100], [False], [100])
    rel = lambda e: (e.loc[0, "people_high"] - e.loc[0, "people_low"]) / e.loc[0, "people"]  # noqa: E731
    assert rel(g) > rel(s)
    assert g.loc[0, "people_low"] <= g.loc[0, "people"] <= g.loc[0, "people_high"]


@settings(max_examples=60, deadline=None)
@given(seen=st.floats(1 / 3, 1.0), density=st.floats(0.05, 6.0), cameras=st.integers(1, 6))
def test_a_zone_a_third_or_more_seen_has_a_band_within_twenty_percent(seen, density, cameras):
    width = 10.0 * cameras
    fovs = [box(10 * i, 0, 10 * (i + 1), 10) for i in range(cameras)]
    shares = ground_shares([f"c{i}" for i in range(cameras)], fovs, ["z"], [box(0, 0, width / seen, 10)])
    est = _estimate(shares, [density * 100] * cameras, [False] * cameras, [100] * cameras)
    people = est.loc[0, "people"]
    assert est.loc[0, "people_high"] <= 1.2 * people + 1e-6
    assert est.loc[0, "people_low"] >= 0.8 * people - 1e-6


def test_a_silent_camera_counts_as_unseen_ground():
    shares = ground_shares(["a", "b"], [box(0, 0, 10, 10), box(10, 0, 20, 10)], ["z"], [box(0, 0, 20, 10)])
    est = _estimate(shares, [100, 0], [False, False], [100, 100], reporting=[True, False])
    assert est.loc[0, "covered_m2"] == pytest.approx(100.0)
    assert est.loc[0, "density"] == pytest.approx(1.0)
    assert est.loc[0, "n_cameras"] == 1


def test_a_steady_rise_projects_the_minutes_to_each_threshold():
    t = np.arange(0, 15, 5.0)
    slope = trend_slopes(t, np.array([[1.0, 1.5, 2.0], [3.0, 3.0, 3.0]]))
    assert slope[0] == pytest.approx(0.1)
    eta = minutes_to_thresholds(np.array([2.0, 3.0]), slope, (2.0, 4.0, 5.5))
    assert eta[0].tolist() == pytest.approx([0.0, 20.0, 35.0])
    assert eta[1, 0] == 0.0 and np.isinf(eta[1, 1])


def _run(densities, times_s, cfg=AlertConfig(horizon_min=0.0, hysteresis=0.1, clear_after_min=10)):
    is_open = np.zeros((1, 1), bool)
    below = np.full((1, 1), np.nan)
    events = []
    for d, t in zip(densities, times_s):
        eta = minutes_to_thresholds(np.array([d]), np.array([0.0]), (2.0,))
        step = step_alerts(is_open, below, np.array([d]), eta, (2.0,), t, cfg)
        is_open, below = step.open, step.below_since
        if step.raised[0, 0]:
            events.append(("raised", t))
        if step.cleared[0, 0]:
            events.append(("cleared", t))
    return events


def test_a_density_hovering_at_the_threshold_raises_one_alert_and_does_not_flap():
    values = [1.5, 2.05, 1.95, 2.1, 1.9, 2.02, 1.96]
    events = _run(values, [i * 60.0 for i in range(len(values))])
    assert events == [("raised", 60.0)]


def test_an_alert_clears_only_after_the_density_stays_below_for_the_hold():
    values = [2.5] + [1.0] * 12
    events = _run(values, [i * 60.0 for i in range(len(values))])
    assert events == [("raised", 0.0), ("cleared", 660.0)]


def test_a_rising_trend_raises_before_the_threshold_once_the_projection_persists():
    closed, never = np.zeros((1, 1), bool), np.full((1, 1), np.nan)
    first = step_alerts(closed, never, np.array([1.5]), np.array([[5.0]]), (2.0,), 0.0, AlertConfig(horizon_min=10))
    assert not first.raised[0, 0] and first.projected[0, 0]
    second = step_alerts(first.open, first.below_since, np.array([1.6]), np.array([[4.0]]), (2.0,), 300.0,
                         AlertConfig(horizon_min=10), projected_before=first.projected)
    assert second.raised[0, 0] and second.cause[0, 0] == "projection"


def test_a_one_step_blip_in_the_trend_raises_nothing():
    closed, never = np.zeros((1, 1), bool), np.full((1, 1), np.nan)
    blip = step_alerts(closed, never, np.array([1.6]), np.array([[8.0]]), (2.0,), 0.0, AlertConfig(),
                       projected_before=np.zeros((1, 1), bool))
    after = step_alerts(blip.open, blip.below_since, np.array([1.5]), np.array([[np.inf]]), (2.0,), 300.0,
                        AlertConfig(), projected_before=blip.projected)
    assert not blip.raised.any() and not after.raised.any()


def test_a_city_snapshot_aligns_cameras_by_id_and_projects_the_trend():
    import pandas as pd

    from hexops.analytics.crowd import CrowdLayout, crowd_snapshot

    shares = ground_shares(["a", "b"], [box(0, 0, 10, 10), box(20, 0, 30, 10)], ["z1", "z2"],
                           [box(0, 0, 10, 10), box(20, 0, 30, 10)])
    layout = CrowdLayout.from_shares(["a", "b"], [100.0, 100.0], shares)
    latest = pd.DataFrame({"people": [150.0], "saturated": [False]}, index=["b"])
    est, eta = crowd_snapshot(layout, latest, np.array([-10.0, -5.0]), np.array([[0.5, 0.5], [0.5, 1.0]]))
    assert np.isnan(est.loc["z1", "density"]) and est.loc["z2", "density"] == pytest.approx(1.5)
    assert est.loc["z2", "slope_per_min"] == pytest.approx(0.1)
    assert eta[1, 0] == pytest.approx(5.0) and np.isinf(eta[0, 0])
