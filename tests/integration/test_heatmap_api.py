"""The hex map's HTTP endpoints on the real app: caching, compression and who may read them."""

from __future__ import annotations

import gzip
import tempfile
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
import requests

from tests.fixtures.auth import create_user, login_session
from tests.fixtures.hexmap import R9, T0, insert_map_fixture
from tests.fixtures.live_app import LiveApp


@pytest.fixture(scope="module")
def live(module_db_url):
    insert_map_fixture(module_db_url)
    create_user(module_db_url, "api-commander", "commander")
    create_user(module_db_url, "api-partner", "partner", department="DSD")
    app = LiveApp(module_db_url, Path(tempfile.mkdtemp(prefix="hexops-state-")))
    yield app
    app.stop()


@pytest.fixture(scope="module")
def commander(live):
    return login_session(live.base_url, "api-commander")


def test_hex_geometry_is_served_gzipped_with_its_version_as_etag(live, commander):
    response = commander.get(live.base_url + "/api/v1/hexmap/cells/9", stream=True)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    document = orjson.loads(gzip.decompress(response.raw.read()))
    assert [int(c, 16) for c in document["cells"]] == R9
    assert response.headers["ETag"] == f'"{document["version"]}"'
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_a_known_version_is_answered_with_304_and_a_versioned_url_is_immutable(live, commander):
    first = commander.get(live.base_url + "/api/v1/hexmap/cells/9")
    etag = first.headers["ETag"]
    again = commander.get(live.base_url + "/api/v1/hexmap/cells/9", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    version = etag.strip('"')
    pinned = commander.get(live.base_url + f"/api/v1/hexmap/cells/9?v={version}")
    assert "immutable" in pinned.headers["Cache-Control"]


def test_an_unknown_resolution_is_a_clear_400(live, commander):
    response = commander.get(live.base_url + "/api/v1/hexmap/cells/7")
    assert response.status_code == 400
    assert "resolution" in response.json()["error"]


def test_values_over_http_match_the_hand_count(live, commander):
    params = {"metric": "people", "res": "9", "start": T0.isoformat(),
              "end": (T0 + timedelta(hours=1)).isoformat()}
    document = commander.get(live.base_url + "/api/v1/hexmap/values", params=params).json()
    assert document["index"] == [0, 1]
    assert document["values"] == [0.5, 0.75]


@pytest.mark.parametrize(("params", "field"), [
    ({"res": "nine"}, "res:"),
    ({"metric": "smells"}, "metric:"),
    ({"end": "yesterday"}, "end:"),
])
def test_bad_value_queries_are_refused_naming_the_field(live, commander, params, field):
    query = {"metric": "people", "res": "9", "start": T0.isoformat(),
             "end": (T0 + timedelta(hours=1)).isoformat(), **params}
    response = commander.get(live.base_url + "/api/v1/hexmap/values", params=query)
    assert response.status_code == 400
    assert response.json()["error"].startswith(field)


def test_a_time_without_offset_is_refused_naming_the_field(live, commander):
    params = {"metric": "people", "res": "9", "start": "2026-03-14T10:00", "end": T0.isoformat()}
    response = commander.get(live.base_url + "/api/v1/hexmap/values", params=params)
    assert response.status_code == 400
    assert response.json()["error"].startswith("start:")


def test_guests_get_nothing_and_partners_need_a_grant_for_camera_positions(live):
    assert requests.get(live.base_url + "/api/v1/hexmap/cells/9", timeout=30).status_code == 401
    partner = login_session(live.base_url, "api-partner")
    assert partner.get(live.base_url + "/api/v1/hexmap/districts").status_code == 200
    assert partner.get(live.base_url + "/api/v1/hexmap/cameras").status_code == 403
    assert partner.get(live.base_url + "/api/v1/hexmap/values").status_code == 403
