"""Deny-by-default access control for every page, callback and API route.

The contract every page and route follows:

- A Flask view declares its roles with ``@allow("commander", "admin")``,
  optionally ``layer="flood_alerts"`` (a partner then also needs a live
  grant for that layer) and ``scope="layers:read"`` (what an API token must
  hold to call it), or ``@public`` for the login page and health.  A view
  without a declaration is refused to everyone.
- **Tokens act only within their scopes.**  A caller signed in with an API
  token may call a route only if the route names a scope and the token
  holds it (:data:`ANY_SCOPE`: any valid token, for ``whoami``).  A route
  that names no scope is for people signed in with a password.  Pages and
  their callbacks are for people: a token opens none of them (except the
  public sign-in page).
- A Dash page declares ``allowed_roles=[...]`` (and optionally
  ``layers=[...]``) and ``id_prefix=...`` in ``dash.register_page``.  Which
  page a path names is decided once, by :func:`hexops.dashboard.paths.resolve`,
  for the full page load checked here and for the router that renders it
  (:mod:`hexops.dashboard.router`).  An unknown path is 404.
- A Dash callback request must match a declared server-side callback
  exactly (:mod:`hexops.dashboard.callback_guard`); it is then authorised
  through the page(s) owning its declared output ids (ids start with the
  page's prefix; ids starting ``shell-`` belong to the frame, which is
  public and authorises pages itself).
- Code reads the signed-in user with :func:`current_user`.

How a request becomes a user (password sessions, bearer tokens) is provided
by a resolver installed with :func:`set_user_resolver`; :func:`install`
installs :func:`resolve_request`.  Without a resolver
nobody is signed in and everything but public routes is refused.
"""

from __future__ import annotations

import logging
from typing import Callable, Iterable
from urllib.parse import urlencode

import dash
from flask import Flask, g, redirect, request, session

from hexops.dashboard import callback_guard, errors, paths
from hexops.dashboard.context import app_context
from hexops.identity import ROLES, User
from hexops.services import accounts

PUBLIC = "__public__"
#: ``@allow(..., scope=ANY_SCOPE)``: any valid token of an allowed role may call it.
ANY_SCOPE = "__any_scope__"
#: Component ids of the frame (header, router) start with this prefix.
SHELL_PREFIX = "shell"

#: Dash's scripts and the static assets: no data, safe for anyone.
_STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
_STATIC_PATHS = ("/_favicon.ico", "/_reload-hash")
#: The layout shell and the callback graph: no data (the shell greets guests
#: with "not signed in"; the graph lists component ids, not values).
_SHELL_PATHS = ("/_dash-layout", "/_dash-dependencies")
_CALLBACK_PATH = "/_dash-update-component"
_SHELL_OWNER = {"allowed_roles": [PUBLIC], "layers": []}

#: Set on every refusal made here, so a client (and the role matrix test) can
#: tell the access layer's refusal from a view's own 403.
DENIED_HEADER = "X-Hexops-Denied"

log = logging.getLogger("hexops.access")

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

    Parameters
    ----------
    roles : str
        Roles of :data:`hexops.identity.ROLES` (or :data:`PUBLIC`).
    layer : str, optional
        A partner also needs a live grant of this layer.
    scope : str, optional
        What an API token must hold to call the view (``detections:write``);
        :data:`ANY_SCOPE` for any token; None: tokens are refused and only
        people signed in with a password may call it.
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
    """May ``user`` call a view declared with ``roles``, ``layer`` and ``scope``?"""
    roles = frozenset(roles)
    if PUBLIC in roles:
        return True
    if user is None or user.role not in roles:
        return False
    # A token acts only within its scopes; a person signed in with a
    # password acts with their role's full powers.
    if user.via_token and (scope is None or (scope != ANY_SCOPE and scope not in user.scopes)):
        return False
    if user.role == "partner" and layer is not None:
        return layer in user.layers
    return True


def page_allowed(page: dict, user: User | None) -> bool:
    """May ``user`` open this Dash page (an entry of ``dash.page_registry``)?"""
    roles = page.get("allowed_roles")
    if roles is None:
        return False
    if PUBLIC in roles:
        return True
    if user is None or user.via_token or user.role not in roles:
        return False
    if user.role == "partner":
        return all(layer in user.layers for layer in page.get("layers") or [])
    return True


def page_for_path(path: str) -> dict | None:
    """The page a path names (see :func:`hexops.dashboard.paths.resolve`), or None."""
    resolved = paths.resolve(path)
    return resolved.page if resolved is not None else None


def callback_owner(output_ids: Iterable[str]) -> dict | None:
    """The page owning a callback's output ids (a merged declaration when several), or None.

    The longest matching prefix owns an id (``admin-vault-x`` is not the
    ``admin`` page's when an ``admin-vault`` page exists); a callback
    writing to two pages' components must satisfy both; an id no page owns
    makes the callback nobody's.
    """
    owners = []
    for component_id in output_ids:
        if component_id.startswith(SHELL_PREFIX + "-"):
            owners.append(_SHELL_OWNER)
            continue
        candidates = [page for page in dash.page_registry.values() if page.get("id_prefix") and (
            component_id == page["id_prefix"] or component_id.startswith(page["id_prefix"] + "-"))]
        if not candidates:
            return None
        owner = max(candidates, key=lambda page: len(page["id_prefix"]))
        if owner.get("allowed_roles") is None:
            return None
        owners.append(owner)
    if not owners:
        return None
    return {"allowed_roles": list(set.intersection(*(set(p["allowed_roles"]) for p in owners))),
            "layers": sorted({lay for p in owners for lay in (p.get("layers") or [])})}


def _deny(user: User | None, *, page: bool):
    if page and user is None:
        response = redirect("/login?" + urlencode({"next": request.full_path.rstrip("?")}))
    elif user is None:
        response = errors.error_response(401, "not signed in")
    elif page and user.via_token:
        response = errors.error_response(403, "API tokens cannot open pages; sign in with a password")
    else:
        response = errors.error_response(403, f"{user.username} ({user.role}) may not open {request.path}")
    if user is None and response.status_code == 401:
        # RFC 9110: a 401 names the scheme that would be accepted (API clients send bearer tokens).
        challenge = 'Bearer realm="hexops"'
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            challenge += ', error="invalid_token"'  # RFC 6750: a token was sent and is not valid
        response.headers["WWW-Authenticate"] = challenge
    response.headers[DENIED_HEADER] = "access"
    return response


def _authorise_callback(app: dash.Dash, user: User | None):
    body = callback_guard.parse_body(request.get_data(cache=True))
    try:
        declared = callback_guard.match(body, app.callback_map)
    except callback_guard.CallbackMismatch as refusal:
        log.warning("refused callback request from %s: %s (output %.200r)", request.remote_addr,
                    refusal.message, body.get("output"))
        response = errors.error_response(403, refusal.message, refusal.field)
        response.headers[DENIED_HEADER] = "access"
        return response
    owner = callback_owner(declared.output_ids)
    if owner is not None and page_allowed(owner, user):
        return None
    return _deny(user, page=False)


def _authorise_page(user: User | None):
    resolved = paths.resolve(request.path)
    if resolved is None:
        return errors.error_response(404, f"There is no page at {request.path}.")
    if page_allowed(resolved.page, user):
        return None
    return _deny(user, page=True)


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _cross_origin() -> bool:
    """Does the browser say this request comes from a page of another origin?

    ``Sec-Fetch-Site`` when the browser sends it (every current one does),
    else ``Origin``; a client that sends neither (a script) is not a browser
    page and is judged by its credentials alone.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return bool(origin) and origin != request.host_url.rstrip("/")


def authorise_request(server: Flask, app: dash.Dash, index_endpoints: frozenset[str]):
    """The before_request hook: return None to let the request through, or a denial."""
    path = request.path
    if path.startswith(_STATIC_PREFIXES) or path in _STATIC_PATHS or path in _SHELL_PATHS:
        return None
    if request.routing_exception is not None:
        return None  # Flask answers 404/405 itself, through the error handlers
    user = current_user()
    if user is not None and not user.via_token and request.method not in _SAFE_METHODS and _cross_origin():
        # A session cookie rides along on another site's form or fetch (SameSite=Lax
        # still sends it from sibling hosts and other ports): only this origin may write.
        log.warning("refused a cross-origin %s %s for %s", request.method, path, user.username)
        return errors.error_response(403, "a signed-in session acts only from hexops's own pages")
    if path == _CALLBACK_PATH:
        if request.method != "POST":
            response = errors.error_response(405, f"{request.method} is not allowed on {path}.")
            response.headers["Allow"] = "POST"
            return response
        return _authorise_callback(app, user)
    if request.endpoint in index_endpoints:
        # Dash serves its index for every other path: that is a page load.
        return _authorise_page(user)
    view = server.view_functions.get(request.endpoint)
    roles = getattr(view, "_hexops_roles", None)
    if roles is not None and role_allowed(roles, view._hexops_layer, user, view._hexops_scope):
        return None
    return _deny(user, page=False)


def resolve_request() -> User | None:
    """The :class:`User` of the current request: its bearer token, else its session cookie's id.

    A token may also come as the password of Basic credentials naming its
    user (QGIS 3.22): :func:`hexops.services.accounts.token_from_authorization`.

    Only the credentials are read here; :func:`hexops.services.accounts.identify`
    looks them up (hashed) and builds the user with their live grants.
    """
    token, claimed = accounts.token_from_authorization(request.headers.get("Authorization", ""))
    session_id = session.get("sid")
    if not token and not session_id:
        return None
    user = accounts.identify(app_context().uow(), token, session_id)
    if claimed is not None and (user is None or user.username != claimed):
        return None  # Basic credentials name the token's own user, or nobody
    return user


def install(server: Flask, app: dash.Dash) -> None:
    """Attach the deny-by-default hook to ``server`` and the request-to-user resolver."""
    set_user_resolver(resolve_request)
    # Dash's index routes ("" and "<path:path>" under its prefix) serve every page.
    index_endpoints = frozenset(rule.endpoint for rule in server.url_map.iter_rules()
                                if rule.rule in ("/", "/<path:path>"))
    server.before_request(lambda: authorise_request(server, app, index_endpoints))
