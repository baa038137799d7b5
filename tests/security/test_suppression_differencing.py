"""Undoing k-suppression by differencing (issue 10, finding 5).

As found: a partner granted ``crowd_density`` subtracted the published res-9
children from their published res-8 parent and recovered 44 of 46 withheld
counts (``incidents`` fell the same way).  Here the attacker gathers every
figure it can -- items at each resolution, overlapping bboxes, overlapping
time windows, tiles at every zoom -- and tries again.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import timedelta

import mapbox_vector_tile
import pytest
import requests
from h3.api.basic_int import cell_to_latlng, cell_to_parent, get_resolution

from hexops.geodata.h3cells import cell_to_str, str_to_cell
from hexops.geodata.sharing import registry
from tests.fixtures.auth import grant_layers
from tests.fixtures.sharing import bearer, tile_of

PARTNER = "drainage-partner"
K = 5


def _items(world, collection: str, user: str = PARTNER, **params) -> requests.Response:
    return requests.get(f"{world.base_url}/ogcapi/collections/{collection}/items", params={"limit": 1000, **params},
                        headers=bearer(world.tokens[user]), timeout=30)


def _tile_features(world, collection: str, zoom: int, cell: int, user: str = PARTNER, **params) -> list[dict]:
    x, y = tile_of(*cell_to_latlng(cell), zoom)
    response = requests.get(f"{world.base_url}/tiles/{collection}/{zoom}/{x}/{y}.mvt", params=params,
                            headers=bearer(world.tokens[user]), timeout=30)
    assert response.status_code == 200, response.text
    decoded = mapbox_vector_tile.decode(response.content) if response.content else {}
    return [f["properties"] for f in decoded.get(collection, {}).get("features", [])]


# -- finding 5: differencing across resolutions, bboxes, tiles and time windows ------------------

@pytest.fixture(scope="module")
def everything_partner(sharing_world):
    # Granted every layer, so suppression is all that stands between the partner and the counts.
    grant_layers(sharing_world.db_url, "DSD", ("crowd_density", "crime_risk", "camera_positions"))
    return sharing_world


def _published(world) -> dict[str, list[tuple[int, str, float | None]]]:
    """Every crowd and incident figure the attacker can gather: (cell, when, value) per collection."""
    gathered: dict[str, list] = defaultdict(list)
    lat, lon = cell_to_latlng(world.small)
    boxes = [None] + [f"{lon - d},{lat - d},{lon + e},{lat + e}" for d, e in ((0.01, 0.0), (0.0, 0.01), (0.02, 0.02))]
    windows = [None, f"{(world.bucket - timedelta(minutes=5)).isoformat()}/..",
               f"../{world.bucket.isoformat()}", f"{(world.bucket - timedelta(days=3)).isoformat()}/.."]
    for collection, field in (("crowd_density", "people"), ("incidents", "incidents")):
        for resolution, bbox, window in itertools.product((None, 8, 9, 10), boxes, windows):
            params = {k: v for k, v in (("resolution", resolution), ("bbox", bbox), ("datetime", window)) if v}
            response = _items(world, collection, **params)
            if response.status_code == 400:
                assert resolution not in registry()[collection].resolutions
                continue
            for f in response.json()["features"]:
                p = f["properties"]
                gathered[collection].append((str_to_cell(p["h3"]), p.get("bucket_start") or p["day"], p[field]))
        for zoom in (8, 10, 12, 13, 14, 15, 17):
            for props in _tile_features(world, collection, zoom, world.small,
                                        datetime=f"{(world.bucket - timedelta(days=3)).isoformat()}/.."):
                gathered[collection].append((str_to_cell(props["h3"]), props.get("bucket_start") or props["day"],
                                             props.get(field)))
    return gathered


def test_parent_minus_published_children_recovers_no_withheld_count(everything_partner):
    recovered = 0
    for collection, figures in _published(everything_partner).items():
        by_cell = {(cell, when): value for cell, when, value in figures}
        withheld = [(cell, when) for (cell, when), value in by_cell.items() if value is None]
        for cell, when in withheld:
            for parent_res in range(8, get_resolution(cell)):
                parent = by_cell.get((cell_to_parent(cell, parent_res), when))
                siblings = [v for (c, w), v in by_cell.items() if w == when and c != cell
                            and get_resolution(c) == get_resolution(cell)
                            and cell_to_parent(c, parent_res) == cell_to_parent(cell, parent_res)]
                if parent is not None and None not in siblings:
                    recovered += 1
        assert withheld, f"{collection}: the world must withhold something for the attack to mean anything"
    assert recovered == 0


def test_every_figure_is_one_cell_at_one_resolution_and_the_same_in_every_answer(everything_partner):
    for collection, figures in _published(everything_partner).items():
        resolutions = {get_resolution(cell) for cell, _, _ in figures}
        values = defaultdict(set)
        for cell, when, value in figures:
            values[(cell, when)].add(value)
        assert resolutions == {9}, (collection, resolutions)
        assert all(len(v) == 1 for v in values.values()), collection
        assert all(v is None or v >= K for vs in values.values() for v in vs), collection


def test_a_record_with_any_count_below_k_withholds_all_its_counts(everything_partner):
    features = _items(everything_partner, "crowd_density").json()["features"]
    small = [f["properties"] for f in features if f["properties"]["h3"] == cell_to_str(everything_partner.small)]
    assert small and all((p["people"], p["people_max"], p["suppressed"]) == (None, None, True) for p in small)


