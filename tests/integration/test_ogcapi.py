"""OGC API - Features under /ogcapi, read by a real client (OWSLib) against the live app."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg
import pytest
import requests
from owslib.ogcapi.features import Features

from hexops.geodata.h3cells import cell_to_str
from tests.fixtures.sharing import DSD_LAYERS, bearer

PARTNER = "drainage-partner"


def _get(world, path: str, user: str = PARTNER, **params):
    return requests.get(world.base_url + path, headers=bearer(world.tokens[user]), params=params, timeout=30)


def test_owslib_reads_the_drainage_departments_collections_and_is_refused_crime_risk(sharing_world, monkeypatch):
    import owslib.ogcapi

    # OWSLib adds our headers to its module-wide defaults; keep the token out of other tests.
    monkeypatch.setattr(owslib.ogcapi, "REQUEST_HEADERS", dict(owslib.ogcapi.REQUEST_HEADERS))
    api = Features(sharing_world.base_url + "/ogcapi", headers=bearer(sharing_world.tokens[PARTNER]))
    listed = set(api.feature_collections())
    water = api.collection_items("water_states", limit=50)
    rain = api.collection_items("rainfall")
    assert {"water_states", "rainfall"} <= listed <= {"water_states", "rainfall", "flood_states", "flood_alerts"}
    assert water["numberReturned"] > 0 and rain["numberReturned"] == 2
    for crime_layer in ("crime_risk", "incidents"):
        with pytest.raises(RuntimeError, match="Forbidden"):
            api.collection_items(crime_layer)


def test_every_collection_of_an_ungranted_layer_is_refused_to_the_partner(sharing_world):
    from hexops.geodata.sharing import registry

    refused = [c.id for c in registry().values() if c.layer not in DSD_LAYERS]
    statuses = {cid: _get(sharing_world, f"/ogcapi/collections/{cid}/items").status_code for cid in refused}
    assert set(statuses.values()) == {403}, statuses


def test_a_commander_sees_every_collection_whose_tables_exist(sharing_world):
    listed = {c["id"] for c in _get(sharing_world, "/ogcapi/collections", "commander").json()["collections"]}
    assert {"water_states", "crowd_density", "incidents", "camera_positions", "rainfall", "crime_risk"} <= listed


def test_a_gateway_token_cannot_read_shared_layers(sharing_world):
    assert _get(sharing_world, "/ogcapi/collections", "gateway").status_code == 403


def test_the_landing_page_links_conformance_and_collections_and_declares_geojson(sharing_world):
    landing = _get(sharing_world, "/ogcapi").json()
    conformance = _get(sharing_world, "/ogcapi/conformance").json()["conformsTo"]
    assert {link["rel"] for link in landing["links"]} >= {"self", "service-desc", "conformance", "data"}
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conformance


def test_items_are_geojson_polygons_with_the_h3_cell_as_text(sharing_world):
    response = _get(sharing_world, "/ogcapi/collections/water_states/items", resolution=9)
    refused = _get(sharing_world, "/ogcapi/collections/water_states/items", resolution=10)
    assert refused.status_code == 400 and refused.json()["description"].startswith("resolution:")
    body = response.json()
    feature = body["features"][0]
    assert response.headers["Content-Type"].startswith("application/geo+json")
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["properties"]["resolution"] == 9 and len(feature["properties"]["h3"]) == 15


def test_bbox_keeps_only_features_inside_it(sharing_world):
    from h3.api.basic_int import cell_to_latlng

    lat, lon = cell_to_latlng(sharing_world.small)
    d = 0.0005
    body = _get(sharing_world, "/ogcapi/collections/water_states/items",
                bbox=f"{lon - d},{lat - d},{lon + d},{lat + d}").json()
    assert {f["properties"]["h3"] for f in body["features"]} == {cell_to_str(sharing_world.small)}


def test_datetime_interval_excludes_older_buckets(sharing_world):
    start = (sharing_world.bucket - timedelta(hours=1)).isoformat()
    recent = _get(sharing_world, "/ogcapi/collections/water_states/items", datetime=f"{start}/..").json()
    everything = _get(sharing_world, "/ogcapi/collections/water_states/items").json()
    assert recent["numberReturned"] == 7 and everything["numberReturned"] == 13


def test_paging_with_next_links_returns_every_feature_once_newest_first(sharing_world):
    url = sharing_world.base_url + "/ogcapi/collections/water_states/items?limit=3"
    seen, times, pages = [], [], 0
    while url:
        body = requests.get(url, headers=bearer(sharing_world.tokens[PARTNER]), timeout=30).json()
        seen += [f["id"] for f in body["features"]]
        times += [f["properties"]["bucket_start"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        pages += 1
    everything = _get(sharing_world, "/ogcapi/collections/water_states/items", limit=1000).json()
    assert pages == 5 and len(seen) == len(set(seen)) == 13
    assert seen == [f["id"] for f in everything["features"]] and times == sorted(times, reverse=True)


def test_offset_paging_still_works_up_to_its_bound_with_a_prev_link(sharing_world):
    body = _get(sharing_world, "/ogcapi/collections/water_states/items", limit=3, offset=6).json()
    everything = _get(sharing_world, "/ogcapi/collections/water_states/items", limit=1000).json()
    assert [f["id"] for f in body["features"]] == [f["id"] for f in everything["features"]][6:9]
    assert {link["rel"] for link in body["links"]} == {"self", "next", "prev", "collection"}


def test_a_cursor_that_this_api_did_not_issue_is_a_400_naming_it(sharing_world):
    response = _get(sharing_world, "/ogcapi/collections/water_states/items", cursor="not-a-cursor")
    assert response.status_code == 400 and response.json()["description"].startswith("cursor:")


def test_a_bad_bbox_is_a_400_naming_the_parameter(sharing_world):
    response = _get(sharing_world, "/ogcapi/collections/water_states/items", bbox="114,22,113")
    assert response.status_code == 400 and response.json()["description"].startswith("bbox:")


def test_a_single_item_is_served_by_its_id(sharing_world):
    first = _get(sharing_world, "/ogcapi/collections/rainfall/items", limit=1).json()["features"][0]
    again = _get(sharing_world, f"/ogcapi/collections/rainfall/items/{first['id']}").json()
    assert again["properties"] == first["properties"]


def test_crowd_counts_below_k_are_withheld_and_larger_ones_published(sharing_world):
    body = _get(sharing_world, "/ogcapi/collections/crowd_density/items", "commander", limit=1000).json()
    by_cell = {f["properties"]["h3"]: f["properties"] for f in body["features"]
               if f["properties"]["resolution"] == 9 and f["id"].endswith(
                   sharing_world.bucket.strftime("%Y-%m-%dT%H:%MZ"))}
    small, big = by_cell[cell_to_str(sharing_world.small)], by_cell[cell_to_str(sharing_world.big)]
    assert (small["people"], small["people_max"], small["suppressed"]) == (None, None, True)
    assert (big["people"], big["suppressed"]) == (40, False)


def test_incident_counts_below_k_are_withheld(sharing_world):
    body = _get(sharing_world, "/ogcapi/collections/incidents/items", "commander").json()
    counts = {f["properties"]["h3"]: f["properties"]["incidents"] for f in body["features"]}
    assert counts == {cell_to_str(sharing_world.small): None, cell_to_str(sharing_world.big): 7}


def test_partner_reads_are_recorded_in_the_audit_log(sharing_world):
    _get(sharing_world, "/ogcapi/collections/rainfall/items", limit=1)
    with psycopg.connect(sharing_world.db_url) as conn:
        rows = conn.execute("SELECT actor, target, details->>'department' FROM audit_log "
                            "WHERE action = 'partner.read' ORDER BY chain_seq DESC LIMIT 1").fetchall()
    assert rows == [(PARTNER, "ogcapi/rainfall", "DSD")]


def test_an_expired_grant_stops_the_partner_reading_the_layer(db_url, start_live_app):
    from tests.fixtures.sharing import make_users

    tokens = make_users(db_url)
    live = start_live_app(db_url)
    url = live.base_url + "/ogcapi/collections/rainfall/items"
    before = requests.get(url, headers=bearer(tokens[PARTNER]), timeout=30).status_code
    with psycopg.connect(db_url) as conn:
        conn.execute("UPDATE layer_grants SET granted_at = now() - interval '2 days', "
                     "expires_at = now() - interval '1 second' WHERE layer = 'rainfall'")
    after = requests.get(url, headers=bearer(tokens[PARTNER]), timeout=30).status_code
    listed = requests.get(live.base_url + "/ogcapi/collections", headers=bearer(tokens[PARTNER]), timeout=30).json()
    assert (before, after) == (200, 403)
    assert "rainfall" not in {c["id"] for c in listed["collections"]}


def test_a_token_without_the_layers_read_scope_is_refused(sharing_world):
    from tests.fixtures.auth import issue_token

    narrow = issue_token(sharing_world.db_url, PARTNER, scopes=["detections:write"], name="narrow")
    response = requests.get(sharing_world.base_url + "/ogcapi/collections", headers=bearer(narrow), timeout=30)
    assert response.status_code == 403


def test_owslib_reads_the_openapi_definition_from_the_landing_page(sharing_world, monkeypatch):
    import owslib.ogcapi

    monkeypatch.setattr(owslib.ogcapi, "REQUEST_HEADERS", dict(owslib.ogcapi.REQUEST_HEADERS))
    api = Features(sharing_world.base_url + "/ogcapi", headers=bearer(sharing_world.tokens[PARTNER]))
    definition = api.api()
    assert definition["openapi"].startswith("3.0") and "/collections/{collectionId}/items" in definition["paths"]


def test_basic_credentials_with_the_users_own_token_as_password_are_accepted_for_qgis_3_22(sharing_world):
    url = sharing_world.base_url + "/ogcapi/collections/water_states/items"
    token = sharing_world.tokens[PARTNER]
    own = requests.get(url, auth=(PARTNER, token), timeout=30)
    someone_elses_name = requests.get(url, auth=("commander", token), timeout=30)
    a_password = requests.get(url, auth=(PARTNER, "not-a-token-but-a-password"), timeout=30)
    tiles = requests.get(sharing_world.base_url + "/tiles/water_states/tilejson.json", auth=(PARTNER, token),
                         timeout=30)
    assert (own.status_code, tiles.status_code) == (200, 200)
    assert someone_elses_name.status_code == a_password.status_code == 401


def test_nothing_later_than_the_product_clock_is_published(sharing_world):
    """A replay loads rain readings ahead of its clock: the OGC API must not show them early."""
    import time

    from hexops.geodata.uow import UnitOfWork
    from hexops.services import clock

    before = _get(sharing_world, "/ogcapi/collections/rainfall/items").json()
    assert before["numberReturned"] == 2
    uow = UnitOfWork.for_url(sharing_world.db_url)
    held = sharing_world.bucket - timedelta(minutes=1)
    clock.set_scenario(uow, held, stop_at=held, actor="test")
    try:
        time.sleep(2.5)  # the app re-reads the clock every 2 s
        during = _get(sharing_world, "/ogcapi/collections/rainfall/items").json()
        water = _get(sharing_world, "/ogcapi/collections/water_states/items").json()
    finally:
        clock.use_wall_clock(uow, actor="test")
        time.sleep(2.5)
    assert during["numberReturned"] == 0 and during["numberMatched"] == 0
    assert water["features"] and all(datetime.fromisoformat(f["properties"]["bucket_start"]) <= held
                                      for f in water["features"])


def test_a_caller_with_its_queries_already_running_gets_429_with_retry_after(sharing_world, tmp_path):
    """One partner cannot take every web thread (an outside probe's 16 parallel heavy queries)."""
    from hexops.bootstrap import AppContext
    from hexops.dashboard import create_app
    from hexops.dashboard.busy import shared_gate
    from hexops.settings import Settings

    app = create_app(AppContext(Settings(state_dir=tmp_path, database_url=sharing_world.db_url,
                                         shared_concurrency=1)))
    client = app.server.test_client()
    auth = bearer(sharing_world.tokens[PARTNER])
    assert client.get("/ogcapi/collections/water_states/items", headers=auth).status_code == 200
    with app.server.app_context():
        gate = shared_gate()
    with gate.enter(PARTNER):
        items = client.get("/ogcapi/collections/water_states/items", headers=auth)
        tile = client.get("/tiles/water_states/12/3347/1786.mvt", headers=auth)
        other = client.get("/ogcapi/collections/water_states/items",
                           headers=bearer(sharing_world.tokens["commander"]))
    assert items.status_code == 429 and items.headers["Retry-After"] == "1", items.text[:200]
    assert tile.status_code == 429 and tile.headers["Retry-After"] == "1"
    assert other.status_code == 200
    assert client.get("/ogcapi/collections/water_states/items", headers=auth).status_code == 200
