"""Finding 11 of issue 10: security headers on every response; no page can be framed.

The browser tests (tests/e2e, every one of them) fail on any Content
Security Policy violation, so the policy checked here is also the one every
page is shown to work under.
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from tests.fixtures.dash_calls import router_body

FIXED = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def _responses(world):
    """One response of every kind: pages, redirects, denials, errors, API, OGC API, callbacks, static."""
    base = world.base_url
    guest, admin, partner = world.http("guest"), world.http("admin"), world.http("partner")
    return {
        "login page": guest.get(base + "/login"),
        "admin page": admin.get(base + "/admin"),
        "redirect to sign in": guest.get(base + "/admin", allow_redirects=False),
        "forbidden page": partner.get(base + "/admin"),
        "unknown page": guest.get(base + "/no-such-page"),
        "unknown API path": guest.get(base + "/api/v1/no-such-route"),
        "API 401": guest.get(base + "/api/v1/whoami"),
        "API 200": admin.get(base + "/api/v1/whoami"),
        "OGC API": world.http("partner:token").get(base + "/ogcapi/collections"),
        "audit CSV": admin.get(base + "/api/v1/audit.csv"),
        "callback": admin.post(base + "/_dash-update-component", json=router_body("/admin")),
        "refused callback": guest.post(base + "/_dash-update-component", json={"output": "x"}),
        "layout": guest.get(base + "/_dash-layout"),
        "wrong method": guest.post(base + "/login"),
        "sign-in post": guest.post(base + "/auth/login", data={"username": "x", "password": "y"},
                                   allow_redirects=False),
        "stylesheet": guest.get(base + "/assets/hexops.css"),
    }


def test_every_kind_of_response_carries_the_security_headers(attack_world):
    for name, response in _responses(attack_world).items():
        for header, value in FIXED.items():
            assert response.headers.get(header) == value, (name, header)
        policy = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in policy, name
        assert "object-src 'none'" in policy and "base-uri 'none'" in policy, name


def test_private_pages_and_api_answers_are_never_stored(attack_world):
    for name, response in _responses(attack_world).items():
        if name == "stylesheet":
            continue
        assert response.headers.get("Cache-Control") == "no-store", name


def test_scripts_run_only_from_the_site_and_the_hashed_inline_scripts(attack_world):
    response = attack_world.http("admin").get(attack_world.base_url + "/admin")
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    script_src = policy["script-src"].split()
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert policy["default-src"] == "'self'" and policy["connect-src"] == "'self'"
    # Every inline script Dash writes into its index is allowed by its hash (else the app would not start).
    inline = [m.group(2) for m in re.finditer(r"<script([^>]*)>(.*?)</script>", response.text, re.S)
              if "src=" not in m.group(1) and "application/json" not in m.group(1)
              and "Internet Explorer" not in m.group(2)]
    assert inline
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src, script[:80]


@pytest.mark.parametrize("tile_url, expected", [
    ("https://{s}.tiles.example/{z}/{x}/{y}.png", "https://*.tiles.example"),
    ("http://127.0.0.1:8081/{z}/{x}/{y}.png", "http://127.0.0.1:8081"),
    ("ftp://tiles.example/{z}.png", None), (None, None),
])
def test_the_tile_server_is_the_only_other_image_origin(tile_url, expected):
    from hexops.dashboard.headers import content_security_policy, tile_origin

    assert tile_origin(tile_url) == expected
    images = [d for d in content_security_policy([], tile_url).split("; ") if d.startswith("img-src")][0]
    assert images == "img-src 'self' data:" + (f" {expected}" if expected else "")
