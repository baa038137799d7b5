"""The rainstorm: the low-lying hexes flood in time, nothing flaps, a lone wet camera raises nothing."""

from __future__ import annotations

from datetime import timedelta

import h3.api.basic_int as h3i
import psycopg
import pytest

from hexops.geodata import flood as q
from hexops.democity import scenarios
from hexops.geodata.uow import UnitOfWork
from hexops.services.flood import advance_floods

RS = scenarios.RAINSTORM


@pytest.fixture(scope="module")
def storm(scenario_db_url):
    """Advance the flood machines through the storm once; return transitions, final states and plans."""
    start, end = RS.start - timedelta(hours=1), RS.end + timedelta(hours=1, minutes=20)
    counts = advance_floods(UnitOfWork.for_url(scenario_db_url), end, start=start).as_dict()
    with psycopg.connect(scenario_db_url) as conn:
        transitions = q.list_transitions(conn, start, end)
        plans = conn.execute("SELECT count(*) FROM crew_plans").fetchone()[0]
        at_peak = q.crew_plan_at(conn, RS.black_end)
    return {"counts": counts, "transitions": transitions, "plans": plans, "at_peak": at_peak}


def test_every_flooding_place_is_flooded_soon_after_the_water_comes(storm):
    t = storm["transitions"]
    flooded = t[t["to_state"] == "flooded"]
    for cell in RS.flooding_hexes(9):
        first = flooded[flooded["h3"] == cell]["at"]
        assert len(first), f"{h3i.int_to_str(cell)} never flooded"
        assert RS.flood_start - timedelta(minutes=15) <= first.min() <= RS.flood_start + timedelta(minutes=30)


def test_nothing_but_the_flooding_places_is_ever_flooded(storm):
    t = storm["transitions"]
    assert set(t[t["to_state"] == "flooded"]["h3"]) == set(RS.flooding_hexes(9))


def test_a_flooded_hex_floods_once_then_recedes_and_returns_to_normal_without_flapping(storm):
    t = storm["transitions"]
    for cell in RS.flooding_hexes(9):
        path = t[t["h3"] == cell].sort_values("at")["to_state"].tolist()
        assert path.count("flooded") == 1, path
        assert path[path.index("flooded"):] [:2] == ["flooded", "receding"]
        assert path[-1] in ("normal", "watch")


def test_every_hex_rises_once_and_falls_once_during_the_storm_without_flapping(storm):
    level = {"normal": 0, "watch": 1, "warning": 2, "receding": 2.5, "flooded": 3}
    t = storm["transitions"].sort_values(["h3", "at"])
    assert t["h3"].nunique() > len(RS.flooding_hexes(9))
    for cell, path in t.groupby("h3")["to_state"]:
        levels = [0] + [level[s] for s in path]
        peak = levels.index(max(levels))
        rising, falling = levels[: peak + 1], levels[peak:]
        assert rising == sorted(rising) and falling == sorted(falling, reverse=True), (h3i.int_to_str(cell), list(path))


def test_a_lone_wet_camera_in_light_rain_raises_nothing(storm, scenario_db_url):
    with psycopg.connect(scenario_db_url) as conn:
        cell = conn.execute("SELECT h3_r9 FROM cameras WHERE camera_id = %s", (RS.lone_wet_camera,)).fetchone()[0]
    assert cell not in set(storm["transitions"]["h3"])


def test_every_transition_carries_its_evidence(storm):
    t = storm["transitions"]
    assert len(t) > 0
    for ev in t["evidence"]:
        assert {"n_cameras", "n_wet", "n_flooded", "rain_mm_h", "rainstorm", "low_lying", "target"} <= set(ev)
    flooded = t[t["to_state"] == "flooded"]
    assert all(e["n_flooded"] >= 2 or e["rain_mm_h"] > 30 for e in flooded["evidence"])


def test_crews_are_planned_for_the_floods_and_replanned_as_they_recede(storm):
    head, plan = storm["at_peak"]
    assert head is not None and storm["plans"] >= 2
    assert set(plan["h3"]) <= set(RS.flooding_hexes(9))
    assert plan["crew_id"].notna().all()


def test_advancing_again_to_the_same_time_changes_nothing(storm, scenario_db_url):
    again = advance_floods(UnitOfWork.for_url(scenario_db_url), RS.end + timedelta(hours=1, minutes=20))
    assert again.steps == 0 and sum(again.counts.values()) == 0
