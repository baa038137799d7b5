"""Filters, sorts and counts as an attacker uses them against withheld and coarsened figures (issue 15).

CQL2 filters, property filters, ``sortby`` and ``numberMatched`` all read the
*published* properties, after suppression and camera coarsening. These
tests play a partner granted everything but camera positions, trying to
recover the small hexagon's withheld crowd (2.75 people, peak 4; k = 5) and
incident count (2), and the raw wet share (2/3) behind a coarsened 0.75:
equality on each candidate value, range bisection, sorting, counts over
the differencing grid, and error oracles.
"""

from __future__ import annotations

import pytest
import requests
from h3.api.basic_int import cell_to_latlng

from hexops.geodata.h3cells import cell_to_str
from tests.fixtures.auth import grant_layers
from tests.fixtures.sharing import bearer

PARTNER = "drainage-partner"


@pytest.fixture(scope="module")
def attacker(sharing_world):
    # Every layer but camera positions: suppression and coarsening are all that stand in the way.
    grant_layers(sharing_world.db_url, "DSD", ("crowd_density", "crime_risk"))
    return sharing_world


def _features(world, collection: str, user: str = PARTNER, **params) -> tuple[int, list[dict], dict]:
    response = requests.get(f"{world.base_url}/ogcapi/collections/{collection}/items",
                            params={"limit": 1000, **params}, headers=bearer(world.tokens[user]), timeout=30)
    return response.status_code, response.json().get("features", []), response.json()


def _small(world, features: list[dict]) -> list[dict]:
    return [f for f in features if f["properties"].get("h3") == cell_to_str(world.small)]


@pytest.mark.parametrize("field", ["people", "people_max"])
def test_equality_on_every_candidate_value_of_a_withheld_count_matches_nothing(attacker, field):
    for value in range(0, 6):
        status, features, body = _features(attacker, "crowd_density", filter=f"{field} = {value}")
        assert status == 200 and _small(attacker, features) == [], (field, value)
        assert all(f["properties"][field] == value for f in features)
        status, features, _ = _features(attacker, "crowd_density", **{field: str(value)})
        assert status == 200 and _small(attacker, features) == []


def test_incident_counts_below_k_cannot_be_found_by_equality_or_ranges(attacker):
    for condition in ("incidents = 2", "incidents < 5", "incidents BETWEEN 1 AND 4", "incidents IN (1, 2, 3)",
                      "NOT (incidents >= 5)", "incidents <> 7"):
        _, features, _ = _features(attacker, "incidents", filter=condition)
        assert _small(attacker, features) == [], condition


def test_range_bisection_over_a_withheld_count_never_narrows(attacker):
    low, high, answers = 0.0, 8.0, []
    for _ in range(8):
        middle = (low + high) / 2
        _, below, _ = _features(attacker, "crowd_density", filter=f"people < {middle}")
        _, above, _ = _features(attacker, "crowd_density", filter=f"people >= {middle}")
        answers.append((bool(_small(attacker, below)), bool(_small(attacker, above))))
        low, high = (low, middle) if _small(attacker, below) else (middle, high)
    assert set(answers) == {(False, False)}


def test_is_null_finds_exactly_the_records_already_marked_suppressed(attacker):
    _, withheld, _ = _features(attacker, "crowd_density", filter="people IS NULL")
    _, flagged, _ = _features(attacker, "crowd_density", filter="suppressed = TRUE")
    _, everything, _ = _features(attacker, "crowd_density")
    assert {f["id"] for f in withheld} == {f["id"] for f in flagged} == {
        f["id"] for f in everything if f["properties"]["suppressed"]}


def test_sorting_by_a_withheld_count_places_withheld_records_alike_in_either_direction(attacker):
    def withheld_order(direction: str) -> list[str]:
        _, features, _ = _features(attacker, "crowd_density", sortby=f"{direction}people")
        tail = [f for f in features if f["properties"]["people"] is None]
        assert features[-len(tail):] == tail  # withheld last, whichever way
        return [f["id"] for f in tail]

    _, default, _ = _features(attacker, "crowd_density")
    by_default = [f["id"] for f in default if f["properties"]["people"] is None]
    assert withheld_order("+") == withheld_order("-") == by_default


def test_coarsened_shares_filter_and_sort_as_published_not_as_measured(attacker):
    _, raw_band, _ = _features(attacker, "water_states", filter="wet_fraction > 0.6 AND wet_fraction < 0.7")
    _, published, _ = _features(attacker, "water_states", filter="wet_fraction = 0.75")
    _, commander_band, _ = _features(attacker, "water_states", "commander",
                                     filter="wet_fraction > 0.6 AND wet_fraction < 0.7")
    assert raw_band == [] and len(published) == 6 and len(commander_band) == 6
    _, sorted_asc, _ = _features(attacker, "water_states", sortby="wet_fraction,h3")
    assert {f["properties"]["wet_fraction"] for f in sorted_asc} <= {0, 0.25, 0.5, 0.75, 1}


@pytest.mark.parametrize("params", [{"filter": "camera_seconds > 0"}, {"filter": "camera_seconds IS NULL"},
                                    {"sortby": "camera_seconds"}, {"camera_seconds": "300"},
                                    {"properties": "camera_seconds"}])
def test_a_removed_camera_figure_cannot_be_named_at_all(attacker, params):
    status, _, body = _features(attacker, "water_states", **params)
    assert status == 400 and "camera_seconds" in body["description"]


def test_number_matched_counts_features_only_what_paging_returns_over_the_differencing_grid(attacker):
    lat, lon = cell_to_latlng(attacker.small)
    boxes = [None, f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}", f"{lon - 0.001},{lat - 0.001},{lon},{lat}"]
    filters = [None, "people IS NULL", "people >= 5", "people < 100"]
    for box in boxes:
        for condition in filters:
            params = {k: v for k, v in (("bbox", box), ("filter", condition)) if v}
            _, features, body = _features(attacker, "crowd_density", **params)
            assert body["numberMatched"] == len(features), params


def test_errors_are_decided_before_any_row_is_read_so_they_say_nothing_of_the_data(attacker):
    for condition in ("people > 'three'", "people + 1 > 3", "CASEI(h3) = 'x'", "people = h3"):
        for box in (None, "0,0,0.001,0.001"):
            status, _, body = _features(attacker, "crowd_density", filter=condition, **({"bbox": box} if box else {}))
            assert status == 400 and body["description"].startswith("filter:"), (condition, body)
