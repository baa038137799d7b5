"""Camera counts and positions from the water layers (issue 10, finding 4).

As found: the Drainage Department, not granted ``camera_positions``, read the
number of cameras in every hexagon off ``water_states.camera_seconds / 300``
(2,675 of 2,675 hexagons at resolution 10).  The attack is replayed here,
with the other camera-derived figures of every collection a partner reads.
"""

from __future__ import annotations

import re

import mapbox_vector_tile
import psycopg
import requests
from h3.api.basic_int import cell_to_latlng

from hexops.geodata.h3cells import str_to_cell
from hexops.geodata.sharing import registry
from tests.fixtures.sharing import bearer, tile_of

PARTNER = "drainage-partner"


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


# -- finding 4: camera counts and positions ------------------------------------------------------

def test_the_drainage_department_gets_no_camera_seconds_and_only_quarter_shares(sharing_world):
    features = _items(sharing_world, "water_states").json()["features"]
    tiles = _tile_features(sharing_world, "water_states", 13, sharing_world.small)
    assert features and tiles
    for props in [f["properties"] for f in features] + tiles:
        assert "camera_seconds" not in props
        for share in ("wet_fraction", "flooded_fraction"):
            assert props.get(share) is None or props[share] in (0, 0.25, 0.5, 0.75, 1), props


def test_camera_seconds_over_300_no_longer_counts_anyones_cameras(sharing_world):
    """The issue's attack: the published figure divided by 300 equalled the camera count in every hexagon."""
    with psycopg.connect(sharing_world.db_url) as conn:
        cameras = dict(conn.execute("SELECT h3_r9, count(*) FROM cameras GROUP BY 1").fetchall())
    recovered = [f for f in _items(sharing_world, "water_states").json()["features"]
                 if "camera_seconds" in f["properties"]
                 and f["properties"]["camera_seconds"] / 300 == cameras.get(str_to_cell(f["properties"]["h3"]))]
    assert recovered == []


def test_a_commander_or_a_partner_granted_camera_positions_still_sees_camera_time(sharing_world):
    commander = _items(sharing_world, "water_states", "commander").json()["features"]
    assert all("camera_seconds" in f["properties"] for f in commander)


def test_flood_alert_reasons_say_what_cameras_saw_without_counting_them(db_url, start_live_app):
    from tests.fixtures.sharing import make_users

    tokens = make_users(db_url)
    h3 = 0x8930e1d8a6bffff
    with psycopg.connect(db_url) as conn:
        conn.execute("INSERT INTO hex_cells (h3, resolution, geom, centroid, area_m2) SELECT %s, 9, "
                     "ST_Buffer(ST_SetSRID(ST_MakePoint(114.17, 22.32), 4326), 0.001), "
                     "ST_SetSRID(ST_MakePoint(114.17, 22.32), 4326), 1e5", (h3,))
        # The three camera rules' reasons: their endings told which rule fired, so how many cameras.
        for minutes, reason in enumerate(("two or more cameras see flooding", "a camera sees flooding in heavy rain",
                                          "one camera sees flooding, no heavy rain to confirm")):
            conn.execute("INSERT INTO flood_transitions (h3, at, from_state, to_state, reason, evidence) VALUES "
                         "(%s, now() - make_interval(mins => %s), 'warning', 'flooded', %s, "
                         "'{\"n_cameras\": 3, \"n_flooded\": 2}')", (h3, minutes, reason))
    live = start_live_app(db_url)
    body = requests.get(live.base_url + "/ogcapi/collections/flood_alerts/items",
                        headers=bearer(tokens[PARTNER]), timeout=30).json()
    assert len(body["features"]) == 3
    for feature in body["features"]:
        props = feature["properties"]
        assert "reason" not in props and props["basis"] == "cameras see flooding"
    assert not re.search(r"\b(two|one|a|\d+) cameras?\b", str(body)) and "n_cameras" not in str(body)


def test_every_collection_a_partner_reads_withholds_its_declared_camera_fields(sharing_world):
    for collection in registry().values():
        if collection.layer not in ("water_states", "flood_states", "flood_alerts", "rainfall"):
            continue
        for feature in _items(sharing_world, collection.id).json()["features"]:
            for name, step in collection.camera_fields:
                value = feature["properties"].get(name)
                if step is None:
                    assert name not in feature["properties"], (collection.id, name)
                elif value is not None:
                    assert abs(value / step - round(value / step)) < 1e-9, (collection.id, name, value)


