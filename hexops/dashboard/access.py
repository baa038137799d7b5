"""Deny-by-default access control for every page, callback and API route.

The contract every page and route follows:

- A Flask view declares its roles with ``@allow("commander", "admin")``,
  optionally ``layer="flood_alerts"`` (a partner then also needs a live
  grant for that layer), or ``@public`` for the login page and health.
  A view without a declaration is refused to everyone.
- A Dash page declares ``allowed_roles=[...]`` (and optionally
  ``layers=[...]``) and ``id_prefix=...`` in ``dash.register_page``.  Dash
  callbacks are authorised through the page that owns their output
  component ids (ids start with the page's prefix).
- Code reads the signed-in user with :func:`current_user`.

How a request becomes a user (password sessions, bearer tokens) is provided
by a resolver installed with :func:`set_user_resolver`; :func:`install`
installs :func:`services.accounts.resolve_request`.  Without a resolver
nobody is signed in and everything but public routes is refused.

Dash's page router callback (``_pages_content``) is authorised by the page
its ``pathname`` input asks for, so client-side navigation obeys the same
page declarations as a full page load.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode
from typing import Callable, Iterable

import dash
from flask import Flask, g, jsonify, make_response, redirect, request
from markupsafe import escape

from hexops.identity import ROLES, User

PUBLIC = "__public__"

#: Dash's own plumbing and static files: no data, safe for anyone.
_DASH_STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/", "/_favicon.ico", "/_reload-hash")
_DASH_DATA_ROUTES = ("/_dash-update-component",)
_DASH_SHELL_ROUTES = ("/_dash-layout", "/_dash-dependencies")

_resolver: Callable[[], User | None] = lambda: None  # noqa: E731  replaced by the accounts service


def set_user_resolver(resolver: Callable[[], User | None]) -> None:
    """Install the function that turns the current request into a :class:`User` (or None)."""
    global _resolver
    _resolver = resolver


def current_user() -> User | None:
    """The signed-in user of the current request, or None."""
    if not hasattr(g, "hexops_user"):
        g.hexops_user = _resolver()
    return g.hexops_user


def allow(*roles: str, layer: str | None = None, scope: str | None = None):
    """Declare which roles may call a Flask view.

    ``layer``: a partner also needs a live grant of that layer.  ``scope``:
    a caller using an API token must hold that scope (``detections:write``);
    password sessions are not narrowed by scopes.
    """
    unknown = [r for r in roles if r not in ROLES and r != PUBLIC]
    if unknown:
        raise ValueError(f"unknown role(s) {unknown}; expected some of {ROLES}")

    def mark(view):
        view._hexops_roles = frozenset(roles)
        view._hexops_layer = layer
        view._hexops_scope = scope
        return view

    return mark


def public(view):
    """Declare a Flask view open to everyone (login page, health check)."""
    return allow(PUBLIC)(view)


def role_allowed(
    roles: Iterable[str], layer: str | None, user: User | None, scope: str | None = None
) -> bool:
    roles = frozenset(roles)
    if PUBLIC in roles:
        return True
    if user is None or user.role not in roles:
        return False
    # Scopes narrow what a token may do; a person signed in with a password
    # session acts with their role's full powers.
    if scope is not None and user.via_token and scope not in user.scopes:
        return False
    if user.role == "partner" and layer is not None:
        return layer in user.layers
    return True


def page_allowed(page: dict, user: User | None) -> bool:
    """May ``user`` open this Dash page (an entry of ``dash.page_registry``)?"""
    roles = page.get("allowed_roles")
    if roles is None:
        return False
    layers = page.get("layers") or []
    if user is not None and user.role == "partner" and any(layer not in user.layers for layer in layers):
        return PUBLIC in roles
    return role_allowed(roles, None, user)


def page_for_path(path: str) -> dict | None:
    """The page Dash would render for ``path``, path templates (``/plans/<plan_id>``) included."""
    for page in dash.page_registry.values():
        if page["relative_path"] == path or page["path"] == path:
            return page
    # Dash's own matcher, so the page checked is exactly the page its router renders.
    from dash._pages import _path_to_page

    page, _variables = _path_to_page(path.strip("/"))
    return page or None


#: Outputs of Dash's page router (dash.dash._ID_CONTENT / _ID_STORE).
_ROUTER_OUTPUTS = ("_pages_content", "_pages_store")
#: What the router serves for a path no page claims: Dash's 404, no data.
_NOT_FOUND_PAGE = {"allowed_roles": [PUBLIC], "layers": []}


def _router_target(body: dict) -> dict | None:
    """For the page router callback: the page its ``pathname`` input asks for."""
    for item in body.get("inputs", []) or []:
        if isinstance(item, dict) and item.get("id") == "_pages_location" and item.get("property") == "pathname":
            return page_for_path(str(item.get("value") or "/")) or _NOT_FOUND_PAGE
    return None


def _page_for_callback() -> dict | None:
    """The page owning a Dash callback request, from its output ids' prefix."""
    try:
        body = json.loads(request.get_data(cache=True) or b"{}")
    except ValueError:
        return None
    output = str(body.get("output", ""))
    if any(router_id in output for router_id in _ROUTER_OUTPUTS):
        return _router_target(body)
    ids = [part.lstrip(".").split(".")[0] for part in output.replace("..", " ").split()]
    pages = []
    for component_id in ids:
        # Pattern-matching ids arrive as JSON objects; their "type" carries the prefix.
        if component_id.startswith("{"):
            try:
                component_id = str(json.loads(component_id).get("type", ""))
            except ValueError:
                return None
        # The longest matching prefix owns the id ("admin-vault-x" is not the "admin" page's).
        owners = [page for page in dash.page_registry.values() if page.get("id_prefix") and (
            component_id == page["id_prefix"] or component_id.startswith(page["id_prefix"] + "-"))]
        if not owners:
            return None
        owner = max(owners, key=lambda page: len(page["id_prefix"]))
        if owner.get("allowed_roles") is None:
            return None
        pages.append(owner)
    if not pages:
        return None
    # A callback writing to two pages' components must satisfy both.
    return {"allowed_roles": list(set.intersection(*(set(p["allowed_roles"]) for p in pages))),
            "layers": sorted({lay for p in pages for lay in (p.get("layers") or [])})}


#: Set on every refusal made here, so a client (and the role matrix test) can
#: tell the access layer's refusal from a view's own 403.
DENIED_HEADER = "X-Hexops-Denied"


def _deny(user: User | None, wants_html: bool):
    if user is None and wants_html:
        response = redirect("/login?" + urlencode({"next": request.full_path.rstrip("?")}))
    elif user is not None and wants_html:
        response = make_response(
            f"<!doctype html><title>hexops: forbidden</title><h1>Forbidden</h1>"
            f"<p>{escape(user.username)} ({escape(user.role)}) may not open {escape(request.path)}.</p>"
            f"<p><a href=\"/\">Home</a> &middot; <a href=\"/auth/logout\">Sign out</a></p>", 403)
    else:
        response = jsonify({"error": "not signed in" if user is None else "forbidden", "path": request.path})
        response.status_code = 401 if user is None else 403
    response.headers[DENIED_HEADER] = "access"
    return response


def authorise_request(server: Flask):
    """The before_request hook: return None to let the request through, or a denial."""
    path = request.path
    if path.startswith(_DASH_STATIC_PREFIXES):
        return None
    user = current_user()
    if path.startswith(_DASH_SHELL_ROUTES):
        # The layout and callback graph hold no data; the shell greets guests
        # with the login page, so they are served to everyone.
        return None
    if path.startswith(_DASH_DATA_ROUTES):
        page = _page_for_callback()
        if page is not None and page_allowed(page, user):
            if user is not None and user.role == "partner" and "path" in page:
                # A partner opening a page is a read of shared data: on record,
                # once per navigation (not per refresh of its figures).
                from hexops.services.sharing import record_page_read

                record_page_read(user, page["path"])
            return None
        return _deny(user, wants_html=False)
    endpoint = request.endpoint
    view = server.view_functions.get(endpoint) if endpoint else None
    roles = getattr(view, "_hexops_roles", None) if view is not None else None
    if roles is not None:
        if role_allowed(roles, getattr(view, "_hexops_layer", None), user, getattr(view, "_hexops_scope", None)):
            return None
        return _deny(user, wants_html=False)
    # Anything else is a Dash page (Dash serves its index for every path).
    page = page_for_path(path)
    if page is not None and page_allowed(page, user):
        return None
    return _deny(user, wants_html=True)


def install(server: Flask, app: dash.Dash) -> None:
    """Attach the deny-by-default hook to ``server`` and the accounts resolver."""
    from hexops.services.accounts import resolve_request

    set_user_resolver(resolve_request)
    server.before_request(lambda: authorise_request(server))
