"""The role-by-route matrix: every Flask route, Dash page and Dash callback, for every role.

Routes and pages are enumerated from the live objects at test time (the
Flask ``url_map``, ``dash.page_registry``, ``/_dash-dependencies``), so a
route another engineer adds tomorrow is covered without editing this file.
Every role is tried with an API token and, for people, with a password
session as well.  What each should get is derived from the route's own
declaration by :func:`expected`, written here independently of
``dashboard.access``, and the important routes are pinned by :data:`PINNED`
so that a wrong declaration cannot pass unnoticed.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import dash
import pytest
from werkzeug.routing import Rule

from hexops.services.accounts import TOKEN_SCOPES
from tests.fixtures.auth import DEFAULT_PASSWORD
from tests.fixtures.dash_calls import call_body, router_body, server_callbacks
from tests.fixtures.sharing import DSD_LAYERS

ROLES = ("commander", "event_manager", "partner", "admin", "device")
GUEST = "guest"
PUBLIC = "__public__"
READERS = {"commander", "event_manager", "partner", "admin"}
PEOPLE = {"commander", "event_manager", "partner", "admin"}

#: Who must be let in, for the routes that matter most (partner: with the demo DSD grants).
PINNED: dict[str, set[str]] = {
    "/": {"commander", "event_manager", "admin"},
    "/drainage": {"partner", "commander", "admin"},
    "/admin": {"admin"},
    "/admin/vault": {"admin"},
    "/api/v1/audit.csv": {"admin"},
    "/ogcapi": READERS,
    "/ogcapi/collections": READERS,
    "/ogcapi/collections/<collection_id>/items": READERS,
    "/tiles/<collection_id>/<int:z>/<int:x>/<int:y>.mvt": READERS,
    "/login": {GUEST, *ROLES},
    "/auth/login": {GUEST, *ROLES},
    "/api/v1/whoami": set(ROLES),
}
#: Dash's own plumbing: scripts, the layout shell and the callback graph (no data).
DASH_PLUMBING = ("/_dash-component-suites/", "/assets/", "/_favicon.ico", "/_reload-hash", "/_dash-layout",
                 "/_dash-dependencies")
#: Scopes of each role's token; the gateway holds every write scope a gateway may be given.
SCOPES = {role: set(scopes) for role, scopes in TOKEN_SCOPES.items()}
SCOPES["device"] |= {"rainfall:write"}


ANY_SCOPE = "__any_scope__"
TOKEN, SESSION = "token", "session"


def expected(role: str, roles: frozenset[str] | None, layers: list[str] | tuple[str, ...] = (),
             scope: str | None = None, via: str = TOKEN, page: bool = False) -> bool:
    """Deny by default: open to a role only if declared, granted and, for a token, scoped.

    A token needs the route's scope (a route naming none is for password
    sessions only) and never opens a page or drives its callbacks.
    """
    if roles is None:
        return False
    if PUBLIC in roles:
        return True
    if role == GUEST or role not in roles:
        return False
    if via == TOKEN and (page or scope is None or (scope != ANY_SCOPE and scope not in SCOPES[role])):
        return False
    return role != "partner" or all(layer in DSD_LAYERS for layer in layers)


def _callers(role: str) -> list[str]:
    return [TOKEN] if role in (GUEST, "device") else [TOKEN, SESSION]


@pytest.fixture(scope="module")
def matrix_app(module_db_url):
    """The real Dash + Flask app on a migrated database, with one token per role."""
    from hexops.bootstrap import AppContext
    from hexops.dashboard import create_app
    from hexops.settings import Settings
    from tests.fixtures.auth import create_user, grant_layers, issue_token

    grant_layers(module_db_url, "DSD", DSD_LAYERS)
    tokens = {}
    names = {}
    for role in ROLES:
        names[role] = f"matrix-{role.replace('_', '-')}"
        create_user(module_db_url, names[role], role, department={"partner": "DSD", "device": "HKPF"}.get(role))
        tokens[role] = issue_token(module_db_url, names[role], scopes=sorted(SCOPES[role]))
    context = AppContext(Settings(state_dir=Path(tempfile.mkdtemp(prefix="hexops-matrix-")),
                                  database_url=module_db_url))
    app = create_app(context)
    client = app.server.test_client()
    client.get("/login")  # the first request lets Dash register its callbacks
    callers = Callers(client, tokens, {role: app.server.test_client() for role in PEOPLE}, names)
    for role in PEOPLE:
        callers.sign_in(role)
    yield app, callers
    context.close()


class Callers:
    """Sends a request as a role, with its token or its password session."""

    def __init__(self, client, tokens: dict[str, str], sessions: dict, names: dict[str, str]):
        self.client, self.tokens, self.sessions, self.names = client, tokens, sessions, names

    def sign_in(self, role: str) -> None:
        signed_in = self.sessions[role].post("/auth/login", data={"username": self.names[role],
                                                                  "password": DEFAULT_PASSWORD})
        assert signed_in.status_code == 303 and "error" not in signed_in.headers["Location"]

    def open(self, role: str, via: str, path: str, **kwargs):
        if via == SESSION:
            response = self.sessions[role].open(path, **kwargs)
            if path.startswith("/auth/"):
                self.sign_in(role)  # the matrix has just signed this session out (or in again)
            return response
        headers = {} if role == GUEST else {"Authorization": f"Bearer {self.tokens[role]}"}
        return self.client.open(path, headers=headers, **kwargs)


def _denied(response) -> bool:
    """Refused by the access layer itself (a view's own finer 403 is not counted)."""
    # Read and close: a streamed body (CSV export) holds a pooled connection until closed.
    response.get_data()
    response.close()
    return response.headers.get("X-Hexops-Denied") == "access"


_SAMPLE_ARGS = {"collection_id": "rainfall", "z": 13, "x": 6694, "y": 3574}


def _sample_path(rule: Rule) -> str:
    values = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__
        values[name] = _SAMPLE_ARGS.get(name, 1 if "Integer" in converter else "x")
    return rule.build(values, append_unknown=False)[1]


def _flask_routes(app) -> list[tuple[Rule, object]]:
    routes = []
    for rule in app.server.url_map.iter_rules():
        if rule.rule in ("/", "/<path:path>") or rule.rule.startswith(DASH_PLUMBING) \
                or rule.rule == "/_dash-update-component":
            continue  # Dash's index (checked per page below) and plumbing
        routes.append((rule, app.server.view_functions[rule.endpoint]))
    return routes


def test_the_matrix_covers_the_routes_of_every_area(matrix_app):
    app, _ = matrix_app
    rules = {rule.rule for rule, _ in _flask_routes(app)}
    assert {"/ogcapi/collections", "/api/v1/audit.csv", "/auth/login"} <= rules
    assert {"/admin", "/login"} <= {p["path"] for p in dash.page_registry.values()}


def test_every_flask_route_admits_exactly_the_roles_and_scopes_its_declaration_names(matrix_app):
    app, callers = matrix_app
    wrong = []
    for rule, view in _flask_routes(app):
        roles = getattr(view, "_hexops_roles", None)
        layer = getattr(view, "_hexops_layer", None)
        scope = getattr(view, "_hexops_scope", None)
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        path = _sample_path(rule)
        for role in (GUEST, *ROLES):
            for via in _callers(role):
                want = expected(role, roles, [layer] if layer else [], scope, via)
                if rule.rule in PINNED and (via == SESSION or role in (GUEST, "device")):
                    assert want == (role in PINNED[rule.rule]), f"{rule.rule} is declared wrongly for {role}"
                kwargs = {"json": {}} if method != "GET" else {}
                response = callers.open(role, via, path, method=method, **kwargs)
                if want == _denied(response):
                    wrong.append(f"{method} {path} as {role} ({via}): {response.status_code}, expected "
                                 f"{'allowed' if want else 'denied'}")
    assert not wrong, "\n".join(wrong)


def test_a_token_acts_only_within_its_scopes(matrix_app):
    _, callers = matrix_app
    # The admin's token holds layers:read and audit:read but not rainfall:write or patrol:read.
    assert _denied(callers.open("admin", TOKEN, "/api/v1/rainfall", method="POST", json={"readings": []}))
    assert _denied(callers.open("admin", TOKEN, "/api/v1/patrol/plans/1.csv"))
    assert not _denied(callers.open("admin", TOKEN, "/api/v1/audit.csv"))
    assert not _denied(callers.open("admin", TOKEN, "/ogcapi/collections"))
    # The product clock is no secret: any valid token reads it, as a page does.
    assert not _denied(callers.open("partner", TOKEN, "/api/v1/clock"))
    assert _denied(callers.open(GUEST, TOKEN, "/api/v1/clock"))
    # A commander's token holds audit:read nowhere and the role could not use it anyway.
    assert _denied(callers.open("commander", TOKEN, "/api/v1/audit.csv"))
    # The same admin signed in with a password acts with the role's full powers.
    assert not _denied(callers.open("admin", SESSION, "/api/v1/audit.csv"))


def test_every_dash_page_admits_exactly_its_declared_roles_on_load_and_on_navigation(matrix_app):
    _, callers = matrix_app
    wrong = []
    for page in dash.page_registry.values():
        if "<" in page["path"]:
            continue  # path templates are covered by their own test below
        roles = frozenset(page["allowed_roles"]) if page.get("allowed_roles") is not None else None
        for role in (GUEST, *ROLES):
            for via in _callers(role):
                want = expected(role, roles, page.get("layers") or [], via=via, page=True)
                if page["path"] in PINNED and (via == SESSION or role in (GUEST, "device")):
                    assert want == (role in PINNED[page["path"]]), f"page {page['path']} declared wrongly for {role}"
                loaded = callers.open(role, via, page["relative_path"])
                navigated = callers.open(role, via, "/_dash-update-component", method="POST",
                                         json=router_body(page["relative_path"]))
                for how, response in (("load", loaded), ("navigation", navigated)):
                    if want == _denied(response):
                        wrong.append(f"{page['path']} ({how}) as {role} ({via}): {response.status_code}")
    assert not wrong, "\n".join(wrong)


def _owner(output_id: str) -> dict | None:
    owners = [page for page in dash.page_registry.values() if page.get("id_prefix") and (
        output_id == page["id_prefix"] or output_id.startswith(page["id_prefix"] + "-"))]
    return max(owners, key=lambda page: len(page["id_prefix"])) if owners else None


def test_every_dash_callback_called_exactly_as_declared_is_refused_to_roles_its_page_does_not_admit(matrix_app):
    _, callers = matrix_app
    callbacks = server_callbacks(callers.client.get("/_dash-dependencies").json)
    wrong = []
    checked = 0
    for output, spec in callbacks.items():
        if output.startswith("..shell-") or output.startswith("shell-"):
            continue  # the router: public, it authorises the page it renders (tests above)
        ids = [part.rpartition(".")[0] for part in (output[2:-2].split("...") if output.startswith("..")
                                                    else [output])]
        ids = [str(json.loads(i).get("type", "")) if i.startswith("{") else i for i in ids]
        owners = [_owner(i) for i in ids]
        for role in (GUEST, *ROLES):
            for via in _callers(role):
                if None in owners:
                    want = False  # a callback no page owns is refused to everyone
                else:
                    want = all(expected(role, frozenset(p["allowed_roles"]), p.get("layers") or [], via=via,
                                        page=True) for p in owners)
                if want:
                    continue  # executing it with made-up inputs is the fuzzers' job (tests/security)
                response = callers.open(role, via, "/_dash-update-component", method="POST",
                                        json=call_body(spec))
                checked += 1
                if not _denied(response):
                    wrong.append(f"callback {output} as {role} ({via}): {response.status_code}")
    assert checked > 50
    assert not wrong, "\n".join(wrong)


def test_dash_pages_own_router_is_refused_to_everyone(matrix_app):
    _, callers = matrix_app
    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/admin"},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"]}
    for role in (GUEST, *ROLES):
        for via in _callers(role):
            assert _denied(callers.open(role, via, "/_dash-update-component", method="POST", json=body)), role


def test_a_partner_without_a_grant_is_refused_a_layer_route_it_would_otherwise_reach(matrix_app):
    app, callers = matrix_app
    for rule, view in _flask_routes(app):
        layer = getattr(view, "_hexops_layer", None)
        roles = getattr(view, "_hexops_roles", frozenset())
        if layer and layer not in DSD_LAYERS and "partner" in roles and "GET" in rule.methods:
            response = callers.open("partner", SESSION, _sample_path(rule))
            assert response.status_code == 403, rule.rule


def test_a_page_with_a_path_template_is_guarded_on_load_and_on_navigation(matrix_app):
    from dash import html

    _, callers = matrix_app
    key = "tests.secret_plan_page"
    dash.page_registry[key] = {
        "module": key, "supplied_path": None, "path_template": "/secret-plans/<plan_id>",
        "path": "/secret-plans/none", "relative_path": "/secret-plans/none", "name": "Secret",
        "title": "Secret", "allowed_roles": ["admin"], "id_prefix": "secret", "nav": False,
        "layout": lambda plan_id=None, **_: html.Div(f"plan {plan_id}", id="secret-plan"),
        "supplied_order": None, "order": None, "description": "", "image": None, "image_url": None,
        "redirect_from": None, "supplied_layout": None,
    }
    try:
        outcomes = {}
        for role, via in ((GUEST, TOKEN), ("commander", SESSION), ("admin", TOKEN), ("admin", SESSION)):
            loaded = callers.open(role, via, "/secret-plans/42")
            navigated = callers.open(role, via, "/_dash-update-component", method="POST",
                                     json=router_body("/secret-plans/42", "?plan_id=7"))
            shown = navigated.get_json() if navigated.status_code == 200 else {}
            outcomes[(role, via)] = (_denied(loaded), _denied(navigated), "plan 42" in json.dumps(shown))
    finally:
        del dash.page_registry[key]
    assert outcomes == {(GUEST, TOKEN): (True, True, False), ("commander", SESSION): (True, True, False),
                        ("admin", TOKEN): (True, True, False), ("admin", SESSION): (False, False, True)}
