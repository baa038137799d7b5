"""Finding 1 of issue 10: guests read the admin, vault and commander pages through the page router.

The probe: with no cookie, ``POST /_dash-update-component`` for Dash's page
router with the inputs labelled ``search`` first and ``pathname`` second;
Dash passed them by position, the check read the one labelled ``pathname``
(a page that does not exist, so "public"), and the router rendered ``/admin``.
Every variant an attacker would try next is here too, for a guest and for
signed-in people and tokens who may not open those pages; the admin session
is the positive control showing that the markers looked for are real.
"""

from __future__ import annotations

import json

import pytest
import requests

from tests.fixtures.dash_calls import ROUTER_OUTPUT, call_body, router_body, server_callbacks
from tests.security.conftest import ADMIN_SECRETS, COMMANDER_MARKERS, VAULT_MARKERS

ALL_MARKERS = ADMIN_SECRETS + VAULT_MARKERS + COMMANDER_MARKERS
#: Callers who may open none of /admin, /admin/vault (and, for the first three, /commander).
OUTSIDERS = ("guest", "partner", "event_manager", "partner:token", "admin:token", "device:token")
DASH_ROUTER = ".._pages_content.children..._pages_store.data.."
DASH_ROUTER_OUTPUTS = [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}]


def _leaked(text: str, markers=ALL_MARKERS) -> list[str]:
    return [m for m in markers if m in text]


def _post(world, caller: str, body) -> requests.Response:
    return world.http(caller).post(world.base_url + "/_dash-update-component", json=body, timeout=30)


def test_the_probe_of_issue_10_gets_a_guest_nothing(attack_world):
    for target in ("/admin", "/admin/vault", "/commander"):
        response = _post(attack_world, "guest", {
            "output": DASH_ROUTER, "outputs": DASH_ROUTER_OUTPUTS,
            "inputs": [{"id": "_pages_location", "property": "search", "value": target},
                       {"id": "_pages_location", "property": "pathname", "value": "/no-such-page"}],
            "changedPropIds": ["_pages_location.pathname"], "state": []})
        assert response.status_code in (401, 403), target
        assert not _leaked(response.text), target


def test_the_admin_session_sees_the_markers_the_other_tests_look_for(attack_world):
    admin = _post(attack_world, "admin", router_body("/admin")).text
    vault = _post(attack_world, "admin", router_body("/admin/vault")).text
    commander = _post(attack_world, "admin", router_body("/commander")).text
    assert all(m in admin for m in ADMIN_SECRETS)
    assert all(m in vault for m in VAULT_MARKERS)
    assert all(m in commander for m in COMMANDER_MARKERS)


@pytest.mark.parametrize("caller", OUTSIDERS)
def test_dash_pages_own_router_is_refused_in_every_input_order(attack_world, caller):
    location = "_pages_location"
    orders = [
        [("pathname", "/admin"), ("search", "")],
        [("search", "/admin"), ("pathname", "/admin")],
        [("pathname", "/admin/vault"), ("search", "?x=1")],
    ]
    for order in orders:
        body = {"output": DASH_ROUTER, "outputs": DASH_ROUTER_OUTPUTS,
                "inputs": [{"id": location, "property": p, "value": v} for p, v in order],
                "changedPropIds": [f"{location}.pathname"]}
        response = _post(attack_world, caller, body)
        assert response.status_code in (401, 403) and not _leaked(response.text), (caller, order)
    for output, outputs in ((".._pages_store.data.." , [DASH_ROUTER_OUTPUTS[1]]),
                            ("_pages_content.children", DASH_ROUTER_OUTPUTS[0])):
        response = _post(attack_world, caller, {"output": output, "outputs": outputs,
                                                "inputs": [{"id": location, "property": "pathname", "value": "/admin"}]})
        assert response.status_code in (401, 403) and not _leaked(response.text), (caller, output)


PATH_VARIANTS = ["/admin", "/admin/", "//admin", "/ADMIN", "/Admin", "/%61dmin", "/admin%2F", "/admin/vault",
                 "/admin/vault/", "//admin/vault", "/admin//vault", "/./admin", "/login/../admin", "/admin?x=1",
                 "/admin#top", "/admin\x00", "\\admin", "/\\admin", " /admin", "/admin ", "/commander",
                 "/commander/", "admin", "", None, "/admin\t", "/admin\n/vault", "/" + "a" * 5000]


@pytest.mark.parametrize("caller", ("guest", "partner", "event_manager", "partner:token"))
def test_hexops_router_renders_no_forbidden_page_whatever_the_path_looks_like(attack_world, caller):
    for path in PATH_VARIANTS:
        for search in ("", "?next=/admin", "?pathname=/admin", None, "?" + "x" * 3000):
            response = _post(attack_world, caller, router_body(path, search))
            assert response.status_code < 500, (path, search, response.status_code)
            assert not _leaked(response.text), (caller, path, search)


def _router(inputs, state=None, outputs=None, output=ROUTER_OUTPUT, changed=("shell-location.pathname",)):
    body = {"output": output,
            "outputs": outputs if outputs is not None else [{"id": "shell-page", "property": "children"},
                                                            {"id": "shell-title", "property": "data"}],
            "inputs": inputs, "changedPropIds": list(changed)}
    if state is not None:
        body["state"] = state
    return body


def _loc(prop: str, value, component="shell-location"):
    return {"id": component, "property": prop, "value": value}


MALFORMED_ROUTER_CALLS = {
    "inputs swapped": _router([_loc("search", "/admin"), _loc("pathname", "/no-such-page")]),
    "one input": _router([_loc("pathname", "/admin")]),
    "three inputs": _router([_loc("pathname", "/admin"), _loc("search", ""), _loc("hash", "")]),
    "duplicate ids": _router([_loc("pathname", "/admin"), _loc("pathname", "/login")]),
    "state instead of inputs": _router([], state=[_loc("pathname", "/admin"), _loc("search", "")]),
    "extra state": _router([_loc("pathname", "/admin"), _loc("search", "")], state=[_loc("pathname", "/admin")]),
    "another component": _router([_loc("pathname", "/admin", "admin-users"), _loc("search", "")]),
    "pattern id": _router([{"id": {"type": "shell-location"}, "property": "pathname", "value": "/admin"},
                           _loc("search", "")]),
    "list where an input goes": _router([[_loc("pathname", "/admin")], _loc("search", "")]),
    "an output of another page": _router([_loc("pathname", "/admin"), _loc("search", "")],
                                         outputs=[{"id": "admin-users", "property": "children"},
                                                  {"id": "shell-title", "property": "data"}]),
    "outputs across pages": _router([_loc("pathname", "/admin"), _loc("search", "")],
                                    output="..shell-page.children...admin-users.children..",
                                    outputs=[{"id": "shell-page", "property": "children"},
                                             {"id": "admin-users", "property": "children"}]),
    "changed id not an input": _router([_loc("pathname", "/admin"), _loc("search", "")],
                                       changed=("admin-users.children",)),
    "extra body key": {**router_body("/admin"), "inputs_by_name": {"pathname_": "/admin"}},
    "outputs not a list": {**router_body("/admin"), "outputs": {"id": "shell-page", "property": "children"}},
}


@pytest.mark.parametrize("name", sorted(MALFORMED_ROUTER_CALLS))
def test_a_router_call_that_differs_from_its_declaration_is_refused(attack_world, name):
    for caller in ("guest", "admin"):
        response = _post(attack_world, caller, MALFORMED_ROUTER_CALLS[name])
        assert response.status_code == 403, (caller, response.status_code, response.text[:200])
        assert response.headers.get("X-Hexops-Denied") == "access"
        assert not _leaked(response.text)


def test_bodies_that_are_not_callback_requests_get_400_not_500(attack_world):
    http = attack_world.http("guest")
    url = attack_world.base_url + "/_dash-update-component"
    for data in (b"", b"null", b"[]", b"\"x\"", b"{", b"\xff\xfe", b"{\"output\": 5}", b"1e999"):
        response = http.post(url, data=data, headers={"Content-Type": "application/json"}, timeout=30)
        assert 400 <= response.status_code < 500, (data, response.status_code)
    assert http.post(url, data=b"x" * 2_000_000, timeout=60).status_code == 413
    assert http.get(url, timeout=30).status_code == 405


def test_every_admin_vault_and_commander_callback_called_exactly_is_refused_to_outsiders(attack_world):
    callbacks = server_callbacks(requests.get(attack_world.base_url + "/_dash-dependencies", timeout=30).json())
    guarded = {k: v for k, v in callbacks.items() if any(p in k for p in ("admin-", "vault-", "commander-"))}
    assert len(guarded) >= 7
    for caller in OUTSIDERS:
        for output, spec in guarded.items():
            response = _post(attack_world, caller, call_body(spec))
            assert response.status_code in (401, 403), (caller, output, response.status_code)
            assert not _leaked(response.text), (caller, output)


@pytest.mark.parametrize("path", ["/admin", "/admin/", "//admin", "/ADMIN", "/%61dmin", "/admin/vault",
                                  "/admin/vault/", "/commander", "/admin?tab=users", "/admin;x", "/admin/."])
def test_a_full_page_load_never_serves_a_forbidden_page(attack_world, path):
    for caller in ("guest", "partner", "event_manager", "partner:token"):
        response = attack_world.http(caller).get(attack_world.base_url + path, allow_redirects=False, timeout=30)
        # 308: Flask merges the slashes of //admin and redirects to /admin, itself checked.
        assert response.status_code in (302, 308, 401, 403, 404), (caller, path, response.status_code)
        assert not _leaked(response.text)


def test_the_layout_and_callback_graph_hold_no_data(attack_world):
    for route in ("/_dash-layout", "/_dash-dependencies"):
        for caller in ("guest", "partner"):
            text = attack_world.http(caller).get(attack_world.base_url + route, timeout=30).text
            assert not _leaked(text, ADMIN_SECRETS), (route, caller)
    layout = requests.get(attack_world.base_url + "/_dash-layout", timeout=30).json()
    assert "shell-page" in json.dumps(layout) and "admin-users" not in json.dumps(layout)
