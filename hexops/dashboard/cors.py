"""CORS for the shared layers (``/ogcapi``, ``/tiles``): partners' web pages on their own origins.

- A **preflight** (``OPTIONS`` with ``Origin`` and
  ``Access-Control-Request-Method``) carries no credentials, so it is
  answered here, before the access check: 204 with
  ``Access-Control-Allow-Origin: <origin>``, ``Access-Control-Allow-Headers:
  Authorization`` and the methods (GET, HEAD) when the origin is on any
  department's list; a 403 with no CORS header otherwise.
- An **actual request** gets ``Access-Control-Allow-Origin: <origin>`` only
  when the origin is on the list of the department of the user its token
  names (and, for a request without valid credentials, when the origin is
  on some list, so the page can read the 401 and its ``WWW-Authenticate``).
  Anything else gets no CORS header, and the browser keeps the answer from
  the page.

Credentials are never allowed (no ``Access-Control-Allow-Credentials``):
cookies never authorise a cross-origin read; the page sends its
department's bearer token. The lists are managed on ``/admin``
(:mod:`services.cors_origins`).
"""

from __future__ import annotations

from flask import Flask, jsonify, make_response, request

from hexops.dashboard import access
from hexops.dashboard.context import app_context
from hexops.services import cors_origins

#: The routes a partner's web page may call from its own origin.
SHARED_PREFIXES = ("/ogcapi", "/tiles/")
ALLOWED_METHODS = "GET, HEAD"
ALLOWED_HEADERS = "Authorization"
#: Headers of ours a page may read besides the CORS-safelisted ones.
EXPOSED_HEADERS = "Content-Crs, WWW-Authenticate"
PREFLIGHT_MAX_AGE_S = 600


def _cross_origin() -> str | None:
    """The request's ``Origin`` on a shared route when it is not this server's own, else None."""
    origin = request.headers.get("Origin")
    if not origin or not request.path.startswith(SHARED_PREFIXES):
        return None
    if origin == request.host_url.rstrip("/"):
        return None
    return origin


def _departments(origin: str) -> frozenset[str]:
    return cors_origins.departments_allowing(app_context().uow(), origin)


def answer_preflight():
    """The before_request hook: answer a CORS preflight on a shared route, or let the request through."""
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    origin = _cross_origin()
    if origin is None:
        return None
    if not _departments(origin):
        response = jsonify({"error": "origin not allowed", "origin": origin})
        response.status_code = 403
        response.headers["Vary"] = "Origin"
        return response
    response = make_response("", 204)
    response.headers.update({
        "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": ALLOWED_METHODS,
        "Access-Control-Allow-Headers": ALLOWED_HEADERS, "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S),
        "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"})
    return response


def add_headers(response):
    """The after_request hook: the CORS headers an actual cross-origin request on a shared route may get."""
    if not request.path.startswith(SHARED_PREFIXES):
        return response
    response.headers.add("Vary", "Origin")
    origin = _cross_origin()
    if origin is None or request.method == "OPTIONS" or "Access-Control-Allow-Origin" in response.headers:
        return response
    departments = _departments(origin)
    user = access.current_user()
    allowed = (user.department in departments) if user is not None and user.department else (
        user is None and bool(departments))
    if allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def install(server: Flask) -> None:
    """Answer preflights before the access check, and add headers after every shared-route response."""
    server.before_request(answer_preflight)
    server.after_request(add_headers)
