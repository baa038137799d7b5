"""Signing in and out through the real web app: cookies, tokens, redirects, the shell."""

from __future__ import annotations

import psycopg
import requests

from tests.fixtures.auth import create_user, issue_token, login_session
from tests.fixtures.dash_calls import router_body


def test_a_guest_asking_for_a_page_is_sent_to_login_with_next(db_url, start_live_app):
    live = start_live_app(db_url)
    response = requests.get(live.base_url + "/admin?tab=audit", allow_redirects=False, timeout=30)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fadmin%3Ftab%3Daudit"


def test_a_guest_calling_an_api_route_gets_401(db_url, start_live_app):
    live = start_live_app(db_url)
    response = requests.get(live.base_url + "/api/v1/whoami", timeout=30)
    assert response.status_code == 401


def test_signing_in_follows_next_and_whoami_names_the_user(db_url, start_live_app):
    create_user(db_url, "cmd", "commander")
    live = start_live_app(db_url)
    http = requests.Session()
    response = http.post(live.base_url + "/auth/login",
                         data={"username": "cmd", "password": "correct-horse-battery-staple",
                               "next": "/api/v1/whoami"}, timeout=30)
    me = response.json()
    assert (me["username"], me["role"], me["via_token"]) == ("cmd", "commander", False)


def test_next_naming_a_page_the_user_may_not_open_lands_them_elsewhere(db_url, start_live_app):
    create_user(db_url, "cmd", "commander")
    live = start_live_app(db_url)
    response = requests.post(live.base_url + "/auth/login",
                             data={"username": "cmd", "password": "correct-horse-battery-staple", "next": "/admin"},
                             allow_redirects=False, timeout=30)
    assert response.status_code == 303 and response.headers["Location"] != "/admin"


def test_next_pointing_at_another_site_is_ignored(db_url, start_live_app):
    create_user(db_url, "adm", "admin")
    live = start_live_app(db_url)
    response = requests.post(live.base_url + "/auth/login",
                             data={"username": "adm", "password": "correct-horse-battery-staple",
                                   "next": "//evil.example/steal"}, allow_redirects=False, timeout=30)
    assert response.status_code == 303 and not response.headers["Location"].startswith("//")


def test_a_wrong_password_returns_to_the_login_page_with_the_reason(db_url, start_live_app):
    create_user(db_url, "cmd", "commander")
    live = start_live_app(db_url)
    response = requests.post(live.base_url + "/auth/login", data={"username": "cmd", "password": "nope-nope-nope"},
                             allow_redirects=False, timeout=30)
    assert response.headers["Location"].startswith("/login?error=refused")


def test_logging_out_ends_the_session_server_side(db_url, start_live_app):
    create_user(db_url, "cmd", "commander")
    live = start_live_app(db_url)
    http = login_session(live.base_url, "cmd")
    cookie = dict(http.cookies)
    http.get(live.base_url + "/auth/logout", timeout=30)
    replayed = requests.get(live.base_url + "/api/v1/whoami", cookies=cookie, timeout=30)
    assert replayed.status_code == 401


def test_a_bearer_token_signs_in_a_machine_and_an_expired_one_does_not(db_url, start_live_app):
    create_user(db_url, "gw", "device", department="HKPF")
    token = issue_token(db_url, "gw", scopes=["detections:write"])
    live = start_live_app(db_url)
    headers = {"Authorization": f"Bearer {token}"}
    me = requests.get(live.base_url + "/api/v1/whoami", headers=headers, timeout=30).json()
    with psycopg.connect(db_url) as conn:
        conn.execute("UPDATE api_tokens SET created_at = now() - interval '2 days', "
                     "expires_at = now() - interval '1 day'")
    after = requests.get(live.base_url + "/api/v1/whoami", headers=headers, timeout=30)
    assert (me["role"], me["department"], me["scopes"]) == ("device", "HKPF", ["detections:write"])
    assert after.status_code == 401


def test_a_sign_in_form_posted_from_another_site_is_refused(db_url, start_live_app):
    create_user(db_url, "cmd", "commander")
    live = start_live_app(db_url)
    form = {"username": "cmd", "password": "correct-horse-battery-staple"}
    foreign = requests.post(live.base_url + "/auth/login", data=form, allow_redirects=False, timeout=30,
                            headers={"Origin": "https://evil.example"})
    own = requests.post(live.base_url + "/auth/login", data=form, allow_redirects=False, timeout=30,
                        headers={"Origin": live.base_url})
    assert (foreign.status_code, own.status_code) == (403, 303)


def test_a_partner_opening_a_page_is_recorded_once_per_navigation(db_url, start_live_app):
    import dash

    from hexops.dashboard import access
    from tests.fixtures.auth import grant_layers

    create_user(db_url, "drainage-partner", "partner", department="DSD")
    grant_layers(db_url, "DSD", ["flood_alerts", "flood_states", "rainfall", "water_states"])
    live = start_live_app(db_url)
    http = login_session(live.base_url, "drainage-partner")
    user = access.User("drainage-partner", "partner", "DSD",
                       frozenset({"flood_alerts", "flood_states", "rainfall", "water_states"}))
    page = next(p for p in dash.page_registry.values()
                if access.PUBLIC not in p["allowed_roles"] and access.page_allowed(p, user))
    http.post(live.base_url + "/_dash-update-component", timeout=30, json=router_body(page["relative_path"]))
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT actor, target FROM audit_log WHERE action = 'partner.read'").fetchall()
    assert rows == [("drainage-partner", f"page:{page['path']}")]
