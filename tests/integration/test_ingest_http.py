"""``POST /api/v1/detections`` on the real app with real device tokens."""

from __future__ import annotations

import datetime as dt

import orjson
import psycopg
import pytest
import requests

from hexops.ingest.schema import make_batch, nest_event
from tests.fixtures.ingest import event

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
START = NOW - dt.timedelta(minutes=5)


def _token(url: str, username: str, role: str, department: str | None, scopes: list[str]) -> str:
    from hexops.services.accounts import create_user, issue_token
    from tests.fixtures.auth import uow_for

    create_user(uow_for(url), username, role, None if role == "device" else "a-long-password-1",
                department=department)
    return issue_token(uow_for(url), username, "test", scopes, 1)


@pytest.fixture(scope="module")
def live(pg_cluster, template_db_url):
    from tests.conftest import create_database_from_template, drop_database
    from tests.fixtures.ingest import insert_cameras
    from tests.fixtures.live_app import LiveApp
    import tempfile
    from pathlib import Path

    url = create_database_from_template(pg_cluster, template_db_url, prefix="http")
    insert_cameras(url)
    app = LiveApp(url, Path(tempfile.mkdtemp(prefix="hexops-state-")))
    tokens = {
        "hkpf": _token(url, "gw-hkpf", "device", "HKPF", ["detections:write"]),
        "readonly": _token(url, "gw-readonly", "device", "HKPF", ["layers:read"]),
    }
    yield app, url, tokens
    app.stop()
    drop_database(pg_cluster, url)


def _post(app, token: str | None, body: bytes):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(f"{app.base_url}/api/v1/detections", data=body, headers=headers, timeout=30)


def _batch(events: list[dict]) -> bytes:
    return orjson.dumps(make_batch([nest_event(e) for e in events], "gw-1"))


def test_a_device_batch_is_answered_event_by_event(live):
    app, url, tokens = live
    events = [event("h1", "CAM-A", START, people=3), event("h2", "CAM-B", START, people=-1),
              event("h3", "CAM-D", START)]
    response = _post(app, tokens["hkpf"], _batch(events))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (1, 2)
    assert body["results"][0] == {"event_id": "h1", "status": "accepted"}
    assert body["results"][1]["reason"] == "people: must be >= 0, got -1"
    # CAM-D belongs to the Transport Department, not to this HKPF gateway.
    assert body["results"][2]["reason"] == "camera_id: camera 'CAM-D' is not owned by HKPF"
    again = _post(app, tokens["hkpf"], _batch(events[:1])).json()
    assert again["results"] == [{"event_id": "h1", "status": "duplicate"}]
    with psycopg.connect(url) as conn:
        (people_s,), = conn.execute("SELECT sum(people_s) FROM detections_camera_minute").fetchall()
    assert people_s == 3 * 10


def test_no_token_or_a_token_without_the_scope_is_refused(live):
    app, _, tokens = live
    body = _batch([event("n1", "CAM-A", START)])
    assert _post(app, None, body).status_code == 401
    assert _post(app, tokens["readonly"], body).status_code == 403
    assert _post(app, "hx_not-a-real-token", body).status_code == 401


def test_an_oversized_body_gets_413_and_a_too_long_batch_gets_400(live):
    app, _, tokens = live
    huge = b"{" + b" " * (9 * 1024 * 1024) + b"}"
    assert _post(app, tokens["hkpf"], huge).status_code == 413
    many = _batch([event(f"m{i}", "CAM-A", START) for i in range(10_001)])
    response = _post(app, tokens["hkpf"], many)
    assert response.status_code == 400 and response.json()["field"] == "events"


def test_a_batch_with_a_wrong_schema_or_broken_json_gets_400_naming_the_field(live):
    app, _, tokens = live
    wrong = orjson.dumps({"schema": "hexops.detections/0", "events": []})
    response = _post(app, tokens["hkpf"], wrong)
    assert response.status_code == 400 and response.json()["field"] == "schema"
    broken = _post(app, tokens["hkpf"], b'{"schema": ')
    assert broken.status_code == 400 and broken.json()["field"] == "body"
