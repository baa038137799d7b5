"""Mapbox Vector Tiles of the shared collections, built by PostGIS and decoded here."""

from __future__ import annotations

import mapbox_vector_tile
import requests
from h3.api.basic_int import cell_to_latlng

from hexops.geodata.h3cells import cell_to_str
from tests.fixtures.sharing import bearer, tile_of

PARTNER = "drainage-partner"


def _tile(world, collection: str, zoom: int, user: str = PARTNER, cell: int | None = None, **params):
    lat, lon = cell_to_latlng(cell or world.small)
    x, y = tile_of(lat, lon, zoom)
    return requests.get(f"{world.base_url}/tiles/{collection}/{zoom}/{x}/{y}.mvt",
                        headers=bearer(world.tokens[user]), params=params, timeout=30)


def _features(response, layer: str) -> list[dict]:
    decoded = mapbox_vector_tile.decode(response.content) if response.content else {}
    return [f["properties"] for f in decoded.get(layer, {}).get("features", [])]


def test_a_water_tile_holds_the_newest_state_of_each_hexagon(sharing_world):
    response = _tile(sharing_world, "water_states", 13)
    props = {p["h3"]: p for p in _features(response, "water_states")}
    props.update({p["h3"]: p for p in _features(_tile(sharing_world, "water_states", 13, cell=sharing_world.big),
                                                 "water_states")})
    assert response.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert props[cell_to_str(sharing_world.small)]["state"] == "flooded"
    assert props[cell_to_str(sharing_world.big)]["state"] == "wet"


def test_every_zoom_draws_the_one_resolution_the_layer_is_shared_at(sharing_world):
    resolutions = {zoom: {p["resolution"] for p in _features(_tile(sharing_world, "water_states", zoom),
                                                              "water_states")}
                   for zoom in (10, 13, 15)}
    assert resolutions == {10: {9}, 13: {9}, 15: {9}}


def test_suppressed_counts_are_absent_from_tiles_at_every_zoom(sharing_world):
    for zoom in (10, 13, 15):
        for props in _features(_tile(sharing_world, "crowd_density", zoom, "commander"), "crowd_density"):
            if props["suppressed"]:
                assert "people" not in props and "people_max" not in props
            else:
                assert props["people"] >= 5
    small = {p["h3"]: p for p in _features(_tile(sharing_world, "crowd_density", 13, "commander"), "crowd_density")}
    assert small[cell_to_str(sharing_world.small)]["suppressed"] is True


def test_a_partner_is_refused_tiles_of_a_layer_it_was_not_granted(sharing_world):
    assert _tile(sharing_world, "crowd_density", 13).status_code == 403


def test_a_tile_far_from_the_data_or_outside_the_zooms_is_a_json_404(sharing_world):
    far = requests.get(f"{sharing_world.base_url}/tiles/water_states/13/0/0.mvt",
                       headers=bearer(sharing_world.tokens[PARTNER]), timeout=30)
    lat, lon = cell_to_latlng(sharing_world.small)
    x, y = tile_of(lat, lon, 5)
    too_far_out = requests.get(f"{sharing_world.base_url}/tiles/water_states/5/{x}/{y}.mvt",
                               headers=bearer(sharing_world.tokens[PARTNER]), timeout=30)
    assert (far.status_code, far.json()["code"]) == (404, "NotFound") and "bounds" in far.json()["description"]
    assert too_far_out.status_code == 404 and "zooms 8-17" in too_far_out.json()["description"]


def test_a_tile_over_the_data_with_nothing_in_its_time_window_is_empty(sharing_world):
    response = _tile(sharing_world, "water_states", 13, datetime="2001-01-01/2001-01-02")
    assert (response.status_code, response.content) == (200, b"")


def test_a_tile_outside_the_grid_is_a_400(sharing_world):
    response = requests.get(f"{sharing_world.base_url}/tiles/water_states/3/9/1.mvt",
                            headers=bearer(sharing_world.tokens[PARTNER]), timeout=30)
    assert response.status_code == 400


def test_an_old_window_shows_the_old_bucket_and_a_recent_window_the_new(sharing_world):
    from datetime import timedelta

    old = sharing_world.bucket - timedelta(days=2)
    window = f"{(old - timedelta(minutes=1)).isoformat()}/{(old + timedelta(minutes=1)).isoformat()}"
    props = {p["h3"]: p for p in _features(_tile(sharing_world, "water_states", 13, cell=sharing_world.big,
                                                  datetime=window), "water_states")}
    assert props[cell_to_str(sharing_world.big)]["wet_fraction"] == 0
    assert cell_to_str(sharing_world.small) not in props


def test_without_datetime_a_tile_shows_the_newest_data_even_when_it_is_weeks_old(db_url, start_live_app):
    from datetime import datetime, timedelta, timezone

    from tests.fixtures.sharing import make_users, seed

    seeded = seed(db_url, datetime.now(timezone.utc) - timedelta(days=30))
    tokens = make_users(db_url)
    live = start_live_app(db_url)
    lat, lon = cell_to_latlng(seeded["small"])
    x, y = tile_of(lat, lon, 13)
    response = requests.get(f"{live.base_url}/tiles/water_states/13/{x}/{y}.mvt",
                            headers=bearer(tokens[PARTNER]), timeout=30)
    props = {p["h3"]: p for p in _features(response, "water_states")}
    assert props[cell_to_str(seeded["small"])]["state"] == "flooded"
