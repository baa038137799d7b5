"""Every partner read on record (issue 10, finding 9, the partner side).

As found: partner reads of ``/api/v1/rainfall`` wrote no ``partner.read`` row.
Rainfall, tiles, single items and refused reads are checked here.
"""

from __future__ import annotations

import mapbox_vector_tile
import psycopg
import requests
from h3.api.basic_int import cell_to_latlng

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


# -- finding 9 (partner side): every read on record ---------------------------------------------

def _partner_audit(db_url: str) -> list[tuple[str, str]]:
    with psycopg.connect(db_url) as conn:
        return conn.execute("SELECT action, target FROM audit_log WHERE actor = %s AND action LIKE 'partner.%%' "
                            "ORDER BY chain_seq", (PARTNER,)).fetchall()


def test_a_partners_rainfall_api_read_is_audited(sharing_world):
    before = _partner_audit(sharing_world.db_url)
    response = requests.get(sharing_world.base_url + "/api/v1/rainfall", headers=bearer(sharing_world.tokens[PARTNER]),
                            timeout=30)
    after = _partner_audit(sharing_world.db_url)
    assert response.status_code == 200 and response.json()["readings"]
    assert after[len(before):] == [("partner.read", "api/rainfall")]


def test_tile_item_and_refused_reads_are_audited(sharing_world):
    before = _partner_audit(sharing_world.db_url)
    _tile_features(sharing_world, "water_states", 13, sharing_world.small)
    fid = _items(sharing_world, "rainfall", limit=1).json()["features"][0]["id"]
    requests.get(f"{sharing_world.base_url}/ogcapi/collections/rainfall/items/{fid}",
                 headers=bearer(sharing_world.tokens[PARTNER]), timeout=30)
    refused = requests.get(f"{sharing_world.base_url}/ogcapi/collections/camera_positions/items",
                           headers=bearer(sharing_world.tokens[PARTNER]), timeout=30)
    new = _partner_audit(sharing_world.db_url)[len(before):]
    assert refused.status_code == 403
    assert [a for a, _ in new] == ["partner.read", "partner.read", "partner.read", "partner.refused"]
    assert new[0][1].startswith("tiles/water_states/13/") and new[2][1] == f"ogcapi/rainfall/{fid}"
