"""Counts below k never leak: not through OGC items at any resolution, tiles at any zoom, or any route."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
import requests
from h3.api.basic_int import cell_to_latlng, cell_to_parent, get_resolution

from hexops.geodata.h3cells import cell_to_str
from hexops.geodata.sharing import registry
from tests.fixtures.auth import grant_layers
from tests.fixtures.sharing import SMALL_PEOPLE_S, bearer, tile_of

ALL_LAYERS = ("flood_alerts", "flood_states", "rainfall", "water_states", "crowd_density", "crime_risk",
              "camera_positions", "detections")
#: How the small hexagon's raw figures would print if they leaked.
RAW_FIGURES = (repr(SMALL_PEOPLE_S), repr(SMALL_PEOPLE_S / 300), "2.75")


@pytest.fixture(scope="module")
def world(sharing_world):
    # The partner is granted everything, so only suppression stands between it and the small counts.
    grant_layers(sharing_world.db_url, "DSD", ALL_LAYERS)
    return sharing_world


def _small_cells(world) -> set[str]:
    small = world.small
    cells = {small, cell_to_parent(small, 8)} | {c for c in world.cells[10]}
    return {cell_to_str(c) for c in cells}


def _suppressed_collections():
    return [c for c in registry().values() if c.suppressed_fields]


@pytest.mark.parametrize("resolution", [8, 9, 10])
def test_items_never_carry_a_count_below_k(world, resolution):
    for collection in _suppressed_collections():
        response = requests.get(f"{world.base_url}/ogcapi/collections/{collection.id}/items",
                                params={"limit": 1000, "resolution": resolution},
                                headers=bearer(world.tokens["drainage-partner"]), timeout=30)
        if resolution not in collection.resolutions:
            assert response.status_code == 400, (collection.id, resolution)
            continue
        body = response.json()
        assert body["features"], collection.id
        for feature in body["features"]:
            for name in collection.suppressed_fields:
                value = feature["properties"][name]
                assert value is None or value >= 5, (collection.id, feature["id"], name, value)
        assert not any(raw in str(body) for raw in RAW_FIGURES)


@pytest.mark.parametrize("zoom", [10, 13, 15])
def test_tiles_never_carry_a_count_below_k(world, zoom):
    lat, lon = cell_to_latlng(world.small)
    x, y = tile_of(lat, lon, zoom)
    for collection in _suppressed_collections():
        response = requests.get(f"{world.base_url}/tiles/{collection.id}/{zoom}/{x}/{y}.mvt",
                                headers=bearer(world.tokens["drainage-partner"]),
                                params={"datetime": f"{world.bucket.date()}T00:00:00Z/.."}, timeout=30)
        layer = mapbox_vector_tile.decode(response.content).get(collection.id, {"features": []})
        assert layer["features"], (collection.id, zoom)
        for feature in layer["features"]:
            for name in collection.suppressed_fields:
                value = feature["properties"].get(name)
                assert value is None or value >= 5, (collection.id, zoom, name, value)


def test_the_small_hexagon_is_published_with_its_count_withheld(world):
    body = requests.get(f"{world.base_url}/ogcapi/collections/crowd_density/items",
                        params={"limit": 1000, "resolution": get_resolution(world.small)},
                        headers=bearer(world.tokens["drainage-partner"]), timeout=30).json()
    small = [f for f in body["features"] if f["properties"]["h3"] in _small_cells(world)]
    assert small and all(f["properties"]["people"] is None for f in small)


def test_no_route_a_partner_can_reach_prints_the_small_hexagons_raw_figures(world):
    from hexops.dashboard.access import PUBLIC

    app_server = world.server
    checked = 0
    for rule in app_server.url_map.iter_rules():
        view = app_server.view_functions[rule.endpoint]
        roles = getattr(view, "_hexops_roles", frozenset())
        if "GET" not in rule.methods or not ({"partner", PUBLIC} & set(roles)) or rule.arguments - {
                "collection_id"}:
            continue
        ids = [c.id for c in registry().values()] if "collection_id" in rule.arguments else [None]
        for cid in ids:
            path = rule.build({"collection_id": cid} if cid else {}, append_unknown=False)[1]
            text = requests.get(world.base_url + path, params={"limit": 1000},
                                headers=bearer(world.tokens["drainage-partner"]), timeout=30).text
            assert not any(raw in text for raw in RAW_FIGURES), path
            checked += 1
    assert checked >= 5

