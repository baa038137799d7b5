"""Crew deployment: severity-weighted response time with SciPy's assignment solver."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hexops.analytics.crews import CrewConfig, plan_crews, severity, travel_minutes


def _crews(*depots, busy=None):
    df = pd.DataFrame({"crew_id": [f"C{i}" for i in range(len(depots))],
                       "depot_x": [d[0] for d in depots], "depot_y": [d[1] for d in depots]})
    if busy is not None:
        df["busy_at"] = busy
    return df


def _floods(*rows):
    return pd.DataFrame(rows, columns=["h3", "x", "y", "severity"])


def test_each_crew_goes_to_the_flood_nearest_its_depot():
    plan = plan_crews(_crews((0, 0), (10_000, 0)), _floods((1, 9_000, 0, 1.0), (2, 1_000, 0, 1.0)),
                      CrewConfig(slots=1))
    assert dict(zip(plan["h3"], plan["crew_id"])) == {1: "C1", 2: "C0"}


def test_with_one_crew_the_most_severe_flood_goes_first():
    plan = plan_crews(_crews((0, 0)), _floods((1, 1_000, 0, 1.0), (2, 2_000, 0, 5.0)), CrewConfig(slots=2))
    order = dict(zip(plan["h3"], plan["order"]))
    assert order[2] == 0 and order[1] == 1


def test_when_floods_outnumber_the_crews_the_least_severe_one_waits():
    plan = plan_crews(_crews((0, 0)), _floods((1, 500, 0, 1.0), (2, 3_000, 0, 4.0)), CrewConfig(slots=1))
    assert plan.set_index("h3").loc[1, "crew_id"] is None
    assert plan.set_index("h3").loc[2, "crew_id"] == "C0"


def test_a_crew_on_site_keeps_its_hex_while_it_is_still_flooded():
    floods = _floods((1, 9_000, 0, 1.0), (2, 100, 0, 1.0))
    plan = plan_crews(_crews((0, 0), busy=[1]), floods, CrewConfig(slots=2))
    got = plan.set_index("h3")
    assert got.loc[1, "crew_id"] == "C0" and got.loc[1, "order"] == 0
    assert got.loc[2, "crew_id"] == "C0" and got.loc[2, "order"] == 1


def test_a_receded_flood_frees_its_crew_for_a_new_one():
    plan = plan_crews(_crews((0, 0), busy=[7]), _floods((2, 100, 0, 1.0)), CrewConfig(slots=1))
    assert plan.loc[0, "crew_id"] == "C0" and plan.loc[0, "order"] == 0


def test_the_plan_is_no_worse_than_any_other_one_to_one_assignment():
    rng = np.random.default_rng(3)
    depots = rng.uniform(0, 20_000, (3, 2))
    spots = rng.uniform(0, 20_000, (3, 2))
    sev = np.array([1.0, 2.0, 3.0])
    plan = plan_crews(_crews(*map(tuple, depots)),
                      _floods(*[(i, *spots[i], sev[i]) for i in range(3)]), CrewConfig(slots=1))
    t = travel_minutes(depots, spots)
    from itertools import permutations

    best = min(sum(sev[h] * t[k, h] for k, h in enumerate(p)) for p in permutations(range(3)))
    assert plan["weighted_min"].sum() <= best + 1e-6


def test_no_floods_means_no_assignments():
    assert plan_crews(_crews((0, 0)), _floods()).empty


def test_more_flooding_cameras_and_rain_make_a_hex_more_severe():
    s = severity(np.array([3, 3, 3]), np.array([1, 3, 3]), np.array([30, 30, 70]), np.array([False, False, True]))
    assert s[0] < s[1] < s[2]
