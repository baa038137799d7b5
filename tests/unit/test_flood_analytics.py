"""Flood analytics: rainstorm levels, camera surfaces, target levels and the state machine."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hexops.analytics.flood import (
    FLOODED,
    FLOODED_WATER,
    NORMAL,
    RECEDING,
    STATES,
    WARNING,
    WATCH,
    WET,
    Evidence,
    FloodConfig,
    camera_water,
    hex_evidence,
    nearby_pairs,
    nearby_rain,
    rainstorm_level,
    step_states,
    target_levels,
)


def _ev(n_flooded=0, n_wet=0, rain=0.0, low=False, n_cameras=3):
    return Evidence(np.array([n_cameras]), np.array([n_wet]), np.array([n_flooded]), np.array([rain], float),
                    np.array([low]))


def test_rainstorm_levels_are_the_observatory_amber_red_and_black():
    assert list(rainstorm_level([0, 30, 30.1, 50, 50.5, 70, 71])) == [None, None, "amber", "amber", "red", "red", "black"]


def test_a_lone_wet_camera_in_light_rain_raises_nothing():
    level, reason = target_levels(_ev(n_wet=1, rain=8.0))
    assert level[0] == NORMAL and reason[0] == "no flood evidence"


def test_one_flooded_camera_without_heavy_rain_is_only_a_warning():
    assert target_levels(_ev(n_flooded=1, rain=10.0))[0][0] == WARNING


def test_one_flooded_camera_with_heavy_rain_nearby_is_a_flood():
    assert target_levels(_ev(n_flooded=1, rain=35.0))[0][0] == FLOODED


def test_two_cameras_agreeing_make_a_flood_whatever_the_rain():
    assert target_levels(_ev(n_flooded=2, rain=0.0))[0][0] == FLOODED


def test_a_low_lying_place_goes_on_watch_earlier():
    assert target_levels(_ev(rain=20.0, low=False))[0][0] == NORMAL
    assert target_levels(_ev(rain=20.0, low=True))[0][0] == WATCH
    assert target_levels(_ev(n_wet=1, rain=35.0, low=True))[0][0] == WARNING


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 1), st.integers(0, 5), st.floats(0, 30), st.booleans())
def test_nothing_short_of_two_cameras_or_heavy_rain_is_ever_a_flood(n_flooded, n_wet, rain, low):
    assert target_levels(_ev(n_flooded=n_flooded, n_wet=n_wet, rain=rain, low=low))[0][0] < FLOODED


def test_low_confidence_readings_count_as_dry():
    got = camera_water(np.array([60.0, 60.0, 60.0]), np.array([60.0, 0.0, 0.0]), np.array([0.0, 60.0, 60.0]),
                       np.array([0.9, 0.9, 0.3]))
    assert got.tolist() == [WET, FLOODED_WATER, 0]


def test_cameras_are_counted_into_their_hexes():
    ev = hex_evidence(np.array([0, 0, 1, -1]), np.array([FLOODED_WATER, WET, FLOODED_WATER, FLOODED_WATER]), 2,
                      np.zeros(2), np.zeros(2, bool))
    assert ev.n_flooded.tolist() == [1, 1] and ev.n_wet.tolist() == [1, 0] and ev.n_cameras.tolist() == [2, 1]


def _walk(targets, minutes_apart=5.0, cfg=FloodConfig(hold_min=15, recede_min=30)):
    state, since = np.array([NORMAL], np.int8), np.array([np.nan])
    seen = []
    for i, t in enumerate(targets):
        step = step_states(state, since, np.array([t], np.int8), np.array(["r"], object), i * minutes_apart * 60, cfg)
        state, since = step.state, step.lower_since
        if step.changed[0]:
            seen.append((i, STATES[state[0]]))
    return seen


def test_a_flood_recedes_before_it_returns_to_normal():
    seen = _walk([FLOODED] * 3 + [NORMAL] * 12)
    assert seen == [(0, "flooded"), (6, "receding"), (12, "normal")]


def test_a_flickering_detector_does_not_make_a_hex_flap():
    seen = _walk([FLOODED, WARNING, FLOODED, WARNING, FLOODED, WARNING, FLOODED])
    assert seen == [(0, "flooded")]


def test_water_returning_while_receding_is_a_flood_again():
    seen = _walk([FLOODED] + [NORMAL] * 4 + [FLOODED])
    assert seen == [(0, "flooded"), (4, "receding"), (5, "flooded")]


def test_escalation_is_immediate_and_stepping_down_waits_for_the_hold():
    seen = _walk([WATCH, WARNING, WATCH, WATCH, WATCH, WATCH, NORMAL, NORMAL, NORMAL, NORMAL])
    assert seen == [(0, "watch"), (1, "warning"), (5, "watch"), (9, "normal")]


def test_rain_near_a_hex_is_the_heaviest_nearby_gauge():
    hexes = np.array([[0.0, 0.0], [10_000.0, 0.0]])
    gauges = np.array([[100.0, 0.0], [2000.0, 0.0], [50_000.0, 0.0]])
    ph, pg = nearby_pairs(hexes, gauges, radius_m=3000)
    rain = nearby_rain(ph, pg, np.array([10.0, 40.0, 90.0]), 2)
    # The far hex has no gauge within 3 km and falls back on its nearest one.
    assert rain.tolist() == [40.0, 40.0]


def test_receding_is_a_state_of_its_own():
    assert STATES[RECEDING] == "receding"
