"""``/api/v1/rainfall``: admins and scoped devices post readings, all or nothing; partners read with a grant."""

from __future__ import annotations

import tempfile
from pathlib import Path

import psycopg
import pytest
import requests

from tests.fixtures.auth import create_user, grant_layers, issue_token, login_session
from tests.fixtures.live_app import LiveApp

GOOD = {"station_id": "G1", "observed_at": "2026-10-02T15:30:00+08:00", "mm_per_h": 75.0, "lon": 114.19, "lat": 22.34}


@pytest.fixture(scope="module")
def api(module_db_url):
    create_user(module_db_url, "admin1", "admin")
    create_user(module_db_url, "gw-rain", "device", department="DSD")
    create_user(module_db_url, "gw-det", "device", department="HKPF")
    create_user(module_db_url, "dsd1", "partner", department="DSD")
    create_user(module_db_url, "cmd1", "commander")
    grant_layers(module_db_url, "DSD", ["rainfall"])
    live = LiveApp(module_db_url, Path(tempfile.mkdtemp(prefix="hexops-state-")))
    yield {"url": live.base_url + "/api/v1/rainfall", "base": live.base_url, "db": module_db_url,
           "rain_token": issue_token(module_db_url, "gw-rain", ["rainfall:write"]),
           "det_token": issue_token(module_db_url, "gw-det", ["detections:write"])}
    live.stop()


def _count(url):
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM rainfall_readings").fetchone()[0]


def test_a_device_with_the_rainfall_scope_posts_readings(api):
    r = requests.post(api["url"], json={"readings": [GOOD]}, timeout=30,
                      headers={"Authorization": f"Bearer {api['rain_token']}"})
    assert r.status_code == 201 and r.json() == {"stored": 1}


def test_a_device_without_the_scope_is_refused(api):
    r = requests.post(api["url"], json={"readings": [GOOD]}, timeout=30,
                      headers={"Authorization": f"Bearer {api['det_token']}"})
    assert r.status_code == 403


def test_a_commander_cannot_post_readings(api):
    http = login_session(api["base"], "cmd1")
    assert http.post(api["url"], json={"readings": [GOOD]}, timeout=30).status_code == 403


def test_one_bad_reading_names_its_index_and_field_and_nothing_is_stored(api):
    before = _count(api["db"])
    http = login_session(api["base"], "admin1")
    bad = dict(GOOD, station_id="G9", mm_per_h="lots")
    r = http.post(api["url"], json={"readings": [dict(GOOD, station_id="G8"), bad]}, timeout=30)
    assert r.status_code == 400
    assert any(p.startswith("readings[1], field mm_per_h") for p in r.json()["problems"])
    assert _count(api["db"]) == before


def test_a_drainage_partner_with_the_rainfall_grant_reads_readings_with_their_rainstorm_level(api):
    requests.post(api["url"], json={"readings": [GOOD]}, timeout=30,
                  headers={"Authorization": f"Bearer {api['rain_token']}"})
    http = login_session(api["base"], "dsd1")
    body = http.get(api["url"], timeout=30).json()
    assert body["units"] == "mm/h"
    assert {"station_id": "G1", "rainstorm": "black"}.items() <= body["readings"][0].items()
