"""CORS on the shared routes: partners' web pages on origins their department's list names (issue 15)."""

from __future__ import annotations

import psycopg
import pytest
import requests

from hexops.geodata.uow import UnitOfWork
from hexops.services import cors_origins
from tests.fixtures.sharing import allow_origin, bearer

PARTNER = "drainage-partner"
PAGE = "http://localhost:8765"
STRANGER = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def cors_world(sharing_world):
    allow_origin(sharing_world.db_url, "DSD", PAGE)
    return sharing_world


def _preflight(world, path: str, origin: str, headers: str = "authorization"):
    return requests.options(world.base_url + path, timeout=30, headers={
        "Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": headers})


@pytest.mark.parametrize("path", ["/ogcapi/collections/water_states/items", "/tiles/water_states/13/6694/3574.mvt",
                                  "/tiles/water_states/tilejson.json"])
def test_a_preflight_from_a_listed_origin_is_answered_without_credentials(cors_world, path):
    response = _preflight(cors_world, path, PAGE)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == PAGE
    assert response.headers["Access-Control-Allow-Headers"] == "Authorization"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_a_preflight_from_an_origin_on_no_list_gets_no_cors_header(cors_world):
    response = _preflight(cors_world, "/ogcapi/collections/water_states/items", STRANGER)
    assert response.status_code == 403
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]


def test_a_granted_read_from_a_listed_origin_may_be_read_by_the_page(cors_world):
    response = requests.get(cors_world.base_url + "/ogcapi/collections/water_states/items", timeout=30,
                            headers={**bearer(cors_world.tokens[PARTNER]), "Origin": PAGE})
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == PAGE
    assert "Content-Crs" in response.headers["Access-Control-Expose-Headers"]
    assert "Origin" in response.headers["Vary"]


def test_a_listed_origin_gets_nothing_for_another_departments_token(cors_world):
    response = requests.get(cors_world.base_url + "/ogcapi/collections/water_states/items", timeout=30,
                            headers={**bearer(cors_world.tokens["commander"]), "Origin": PAGE})
    assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response.headers


def test_an_origin_on_no_list_gets_nothing_even_with_a_valid_token(cors_world):
    response = requests.get(cors_world.base_url + "/ogcapi/collections/water_states/items", timeout=30,
                            headers={**bearer(cors_world.tokens[PARTNER]), "Origin": STRANGER})
    assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response.headers


def test_a_page_without_a_valid_token_can_read_its_401_and_the_scheme(cors_world):
    response = requests.get(cors_world.base_url + "/ogcapi/collections/water_states/items", timeout=30,
                            headers={"Origin": PAGE})
    assert response.status_code == 401 and response.headers["Access-Control-Allow-Origin"] == PAGE
    assert "WWW-Authenticate" in response.headers["Access-Control-Expose-Headers"]


def test_routes_outside_the_shared_layers_never_answer_cross_origin(cors_world):
    preflight = _preflight(cors_world, "/api/v1/audit.csv", PAGE)
    read = requests.get(cors_world.base_url + "/api/v1/audit.csv", headers={"Origin": PAGE}, timeout=30)
    assert "Access-Control-Allow-Origin" not in preflight.headers and "Access-Control-Allow-Origin" not in read.headers


def test_removing_an_origin_stops_its_preflights_and_both_changes_are_audited(db_url, start_live_app):
    from tests.fixtures.sharing import make_users

    make_users(db_url)
    live = start_live_app(db_url)
    entry = allow_origin(db_url, "DSD", "https://gis.dsd.example")
    before = _preflight(live, "/ogcapi/collections", "https://gis.dsd.example").status_code
    cors_origins.remove_origin(UnitOfWork.for_url(db_url), entry, actor="admin", reason="MoU ended")
    after = _preflight(live, "/ogcapi/collections", "https://gis.dsd.example").status_code
    with psycopg.connect(db_url) as conn:
        audited = conn.execute("SELECT target, details->>'op' FROM audit_log WHERE action = 'cors.change' "
                               "ORDER BY chain_seq").fetchall()
    assert (before, after) == (204, 403)
    assert audited == [("DSD/https://gis.dsd.example", "add"), ("DSD/https://gis.dsd.example", "remove")]


@pytest.mark.parametrize("origin", ["*", "null", "https://gis.example/path", "ftp://gis.example",
                                    "http://gis.dsd.example", "https://user@gis.example", ""])
def test_origins_that_would_widen_the_list_are_refused_naming_the_field(db_url, origin):
    with pytest.raises(cors_origins.OriginError, match="^origin:"):
        cors_origins.add_origin(UnitOfWork.for_url(db_url), "DSD", origin, actor="admin")


def test_an_origin_is_stored_as_a_browser_sends_it(db_url):
    entry = cors_origins.add_origin(UnitOfWork.for_url(db_url), "DSD", " HTTPS://GIS.DSD.Example:443/ ",
                                    actor="admin")
    listed = cors_origins.list_origins(UnitOfWork.for_url(db_url))
    assert [(row["origin_id"], row["origin"]) for row in listed] == [(entry, "https://gis.dsd.example")]
