"""Finding 10 of issue 10: a token acts only within its scopes, on every route, page and callback.

A partner's ``layers:read`` token ran the ``/drainage`` callbacks, and an
admin token without ``rainfall:write`` reached the rainfall validator.
Now a route names the scope a token needs (none: password sessions only),
and pages and their callbacks are for people: no token drives them.
"""

from __future__ import annotations

import requests

from tests.fixtures.auth import issue_token
from tests.fixtures.dash_calls import call_body, router_body, server_callbacks
from tests.security.conftest import PEOPLE


def _callbacks(world) -> dict[str, dict]:
    return server_callbacks(requests.get(world.base_url + "/_dash-dependencies", timeout=30).json())


def test_a_partners_layers_read_token_cannot_run_the_drainage_callbacks(attack_world):
    drainage = {k: v for k, v in _callbacks(attack_world).items() if "drainage-" in k}
    assert drainage
    for spec in drainage.values():
        by_token = attack_world.http("partner:token").post(attack_world.base_url + "/_dash-update-component",
                                                           json=call_body(spec), timeout=30)
        by_session = attack_world.http("partner").post(attack_world.base_url + "/_dash-update-component",
                                                       json=call_body(spec), timeout=30)
        assert by_token.status_code == 403 and by_token.headers.get("X-Hexops-Denied") == "access"
        assert by_session.status_code == 200, by_session.text[:300]


def test_an_admin_token_without_rainfall_write_does_not_reach_the_rainfall_validator(attack_world):
    body = {"readings": [{"station_id": "X", "observed_at": "not a time", "mm_per_h": -1}]}
    by_token = attack_world.http("admin:token").post(attack_world.base_url + "/api/v1/rainfall", json=body, timeout=30)
    by_session = attack_world.http("admin").post(attack_world.base_url + "/api/v1/rainfall", json=body, timeout=30)
    assert by_token.status_code == 403 and by_token.headers.get("X-Hexops-Denied") == "access"
    assert by_session.status_code == 400  # the session reached the validator, which names the problem


def test_a_token_with_the_scope_is_let_through_and_one_without_is_not(attack_world):
    writer = issue_token(attack_world.db_url, PEOPLE["admin"], scopes=["rainfall:write"], name="rain")
    auditor = issue_token(attack_world.db_url, PEOPLE["admin"], scopes=["audit:read"], name="audit")
    url = attack_world.base_url
    rain = requests.post(url + "/api/v1/rainfall", json={"readings": []},
                         headers={"Authorization": f"Bearer {writer}"}, timeout=30)
    csv_by_writer = requests.get(url + "/api/v1/audit.csv", headers={"Authorization": f"Bearer {writer}"}, timeout=30)
    csv_by_auditor = requests.get(url + "/api/v1/audit.csv", headers={"Authorization": f"Bearer {auditor}"},
                                  timeout=30)
    assert rain.headers.get("X-Hexops-Denied") is None
    assert csv_by_writer.status_code == 403
    assert csv_by_auditor.status_code == 200


def test_no_token_opens_a_page_or_navigates_to_one(attack_world):
    for caller in ("commander:token", "event_manager:token", "partner:token", "admin:token", "device:token"):
        http = attack_world.http(caller)
        for path in ("/", "/drainage", "/admin", "/commander", "/events"):
            loaded = http.get(attack_world.base_url + path, allow_redirects=False, timeout=30)
            navigated = http.post(attack_world.base_url + "/_dash-update-component", json=router_body(path),
                                  timeout=30)
            assert loaded.status_code == 403, (caller, path, loaded.status_code)
            assert navigated.headers.get("X-Hexops-Denied") == "access", (caller, path)
        assert http.get(attack_world.base_url + "/login", timeout=30).status_code == 200


def test_no_token_drives_any_page_callback(attack_world):
    callbacks = {k: v for k, v in _callbacks(attack_world).items() if "shell-" not in k}
    assert len(callbacks) >= 10
    for caller in ("commander:token", "admin:token", "partner:token"):
        for output, spec in callbacks.items():
            response = attack_world.http(caller).post(attack_world.base_url + "/_dash-update-component",
                                                      json=call_body(spec), timeout=30)
            assert response.status_code == 403, (caller, output, response.status_code)


def test_whoami_answers_any_valid_token_and_names_its_scopes(attack_world):
    me = attack_world.http("partner:token").get(attack_world.base_url + "/api/v1/whoami", timeout=30).json()
    assert (me["role"], me["via_token"], me["scopes"]) == ("partner", True, ["layers:read"])
