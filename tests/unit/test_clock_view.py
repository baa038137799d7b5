"""The one clock as people see it: the header's description, the date-time picker and the steps."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hexops.city import HONG_KONG
from hexops.clock import WALL_CLOCK, Clock
from hexops.errors import InputError
from hexops.services.clock import describe, pick_time, step_time

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=timezone.utc)  # 20:00 HKT


def test_the_header_names_a_running_replay_its_speed_and_a_held_clock_held():
    wall = datetime.now(timezone.utc)
    running = Clock(anchor_wall=wall, anchor_scenario=NOW, speed=10.0)
    shown = describe(running, HONG_KONG.tz)
    assert shown["label"] == "demo replay x10" and shown["speed"] == 10.0 and shown["zone"] == "HKT"
    assert shown["local"].startswith("Thu 01 Oct 2026 20:0")
    held = describe(Clock(anchor_wall=wall, anchor_scenario=NOW, speed=1.0, stop_at=NOW), HONG_KONG.tz)
    assert held["label"].endswith("(held)") and held["speed"] == 0.0 and held["stop_ms"] == int(NOW.timestamp() * 1000)
    assert describe(WALL_CLOCK, HONG_KONG.tz)["label"] == "live"


def test_a_picked_date_and_time_are_read_in_the_citys_time_zone():
    assert pick_time("2026-10-01", "19:30", HONG_KONG.tz, NOW) == datetime(2026, 10, 1, 11, 30, tzinfo=timezone.utc)
    assert pick_time("2026-10-01", "", HONG_KONG.tz, NOW) == datetime(2026, 9, 30, 16, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("date, time_text, field", [
    (None, "10:00", "date"), ("01/10/2026", "10:00", "date"), ("2026-10-01", "25:00", "time"),
    ("2026-10-01", "7pm", "time"), ("2026-10-01", "20:01", "time"),  # after the clock's now
])
def test_a_picked_time_that_cannot_be_used_names_its_field(date, time_text, field):
    with pytest.raises(InputError) as refused:
        pick_time(date, time_text, HONG_KONG.tz, NOW)
    assert refused.value.field == field


@given(st.text(max_size=12), st.text(max_size=8))
def test_the_picker_either_gives_a_time_not_after_now_or_an_input_error(date, time_text):
    try:
        at = pick_time(date, time_text, HONG_KONG.tz, NOW)
    except InputError as exc:
        assert exc.field in ("date", "time")
    else:
        assert at <= NOW and at.tzinfo is not None


def test_steps_move_from_the_time_shown_and_reaching_now_means_live():
    assert step_time(None, -60, NOW) == NOW - timedelta(hours=1)
    pinned = (NOW - timedelta(hours=2)).isoformat()
    assert step_time(pinned, 5, NOW) == NOW - timedelta(minutes=115)
    assert step_time(pinned, 60 * 3, NOW) is None
    assert step_time("not a time", -5, NOW) == NOW - timedelta(minutes=5)
