"""Writes with a session cookie come only from hexops's own pages (an outside probe, December 2026).

A commander's session issued a patrol plan from ``Origin: https://evil.example``
with ``Sec-Fetch-Site: cross-site``: only the cookie's SameSite=Lax stood in
the way, and Lax still sends the cookie from sibling hosts and other ports.
"""

from __future__ import annotations

import pytest

CROSS = [{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
         {"Origin": "http://127.0.0.1:1", "Sec-Fetch-Site": "same-site"},
         {"Origin": "https://evil.example"}]


@pytest.mark.parametrize("headers", CROSS)
def test_a_session_write_from_another_origin_is_refused(attack_world, headers):
    http = attack_world.http("commander")
    issue = http.post(attack_world.base_url + "/api/v1/patrol/plans/999999/issue", headers=headers, timeout=30)
    assert issue.status_code == 403 and "own pages" in issue.json()["error"]
    callback = http.post(attack_world.base_url + "/_dash-update-component", json={"output": "x"},
                         headers=headers, timeout=30)
    assert callback.status_code == 403


def test_the_same_write_from_hexops_itself_or_a_script_reaches_the_route(attack_world):
    http = attack_world.http("commander")
    for headers in ({"Sec-Fetch-Site": "same-origin", "Origin": attack_world.base_url}, {}):
        issue = http.post(attack_world.base_url + "/api/v1/patrol/plans/999999/issue", headers=headers, timeout=30)
        assert issue.status_code == 404, (headers, issue.status_code, issue.text[:200])
    # A token is not a cookie a browser sends by itself: another origin's page may use one (CORS).
    token = attack_world.http("device:token").post(attack_world.base_url + "/api/v1/detections", json={},
                                                   headers=CROSS[0], timeout=30)
    assert token.status_code == 400
