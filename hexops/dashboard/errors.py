"""One error handler for the web: every failure becomes the right status and body.

- A :class:`hexops.errors.HexopsError` (raised by a view, a callback's input
  parsing or a service) answers its own ``status`` with
  ``{"error": ..., "field": ...}`` as JSON for machines (API routes, the OGC
  API, tiles, Dash callbacks), or as a themed HTML page for a browser.
- An HTTP error Flask raises itself (unknown path, wrong method, malformed
  body) answers its status the same two ways.
- Anything else is a bug: it is logged with its traceback and a short
  reference, and answers 500 with that reference only, never a traceback,
  a query or a path on disk.

Which form a client gets is decided by :func:`wants_json`: the machine
interfaces always speak JSON; other paths speak HTML unless the client asks
for JSON and not HTML.
"""

from __future__ import annotations

import logging
import secrets

from dash.exceptions import DependencyException
from flask import Flask, Response, jsonify, make_response, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from hexops.errors import HexopsError

log = logging.getLogger("hexops.web")

#: Path prefixes of the machine interfaces: always JSON.
JSON_PREFIXES = ("/api/", "/ogcapi", "/tiles/", "/_dash-")

_TITLES = {400: "Bad request", 401: "Sign in required", 403: "Forbidden", 404: "Page not found",
           405: "Method not allowed", 409: "Conflict", 413: "Too large", 500: "Something went wrong",
           503: "Unavailable"}


def wants_json() -> bool:
    """Should the current request's error be JSON (else a themed HTML page)?"""
    if request.path.startswith(JSON_PREFIXES):
        return True
    accepted = request.accept_mimetypes
    return accepted.best_match(["text/html", "application/json"]) == "application/json" \
        and accepted["application/json"] > accepted["text/html"]


def themed_page(status: int, message: str, *, detail: str = "") -> Response:
    """A full HTML page in the app's own style (header, colours) for an error ``status``.

    The page is static HTML: it needs no script, so it shows even when the
    Dash app could not load, and it says nothing about the page asked for
    beyond its path.
    """
    title = _TITLES.get(status, "Error")
    body = (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>hexops: {escape(title.lower())}</title>"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<link rel=\"stylesheet\" href=\"/assets/hexops.css\"></head><body>"
        "<header class=\"shell-header\"><span class=\"shell-brand\">hexops</span>"
        "<nav class=\"shell-nav\" aria-label=\"Main\"><a class=\"shell-nav-link\" href=\"/\">Home</a></nav>"
        "<a class=\"shell-auth-link\" href=\"/login\">Sign in</a></header>"
        f"<main class=\"shell-main\"><div class=\"error-page\" id=\"error-{status}\">"
        f"<h1 class=\"page-title\">{status} &middot; {escape(title)}</h1>"
        f"<p>{escape(message)}</p>"
        + (f"<p class=\"muted\">{escape(detail)}</p>" if detail else "")
        + "</div></main></body></html>"
    )
    response = make_response(body, status)
    response.mimetype = "text/html"
    return response


def error_response(status: int, message: str, field: str | None = None, *, detail: str = "") -> Response:
    """``status`` with ``message`` as JSON or a themed page, as the client wants."""
    if wants_json():
        payload = {"error": message}
        if field:
            payload["field"] = field
        response = jsonify(payload)
        response.status_code = status
        return response
    return themed_page(status, message, detail=detail)


def _incident(error: BaseException) -> Response:
    reference = secrets.token_hex(6)
    log.error("unhandled error %s on %s %s", reference, request.method, request.path,
              exc_info=(type(error), error, error.__traceback__))
    return error_response(500, f"internal error (reference {reference}); it has been logged")


def handle_hexops_error(error: HexopsError) -> Response:
    """A deliberate error: its own status and message (a 5xx is logged as well)."""
    if error.status >= 500:
        log.error("%s on %s %s: %s", type(error).__name__, request.method, request.path, error.message)
    return error_response(error.status, error.message or type(error).__name__, error.field)


def handle_http_error(error: HTTPException) -> Response:
    """Flask's own errors (404, 405, 400 for a malformed body ...), themed or JSON."""
    if error.code is None or error.code < 400:
        return error  # redirects Flask raises (a missing trailing slash) pass unchanged
    if error.code == 404:
        message = f"There is no page at {request.path}."
    elif error.code == 405:
        message = f"{request.method} is not allowed on {request.path}."
    else:
        message = error.description or _TITLES.get(error.code, "error")
    response = error_response(error.code, message)
    if error.code == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def handle_unexpected(error: Exception) -> Response:
    """Any other exception: a bug.  Logged in full; the client sees a reference only."""
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    if isinstance(error, DependencyException):
        # Dash's answer to a script path it does not serve: nothing there.
        return error_response(404, f"There is no file at {request.path}.")
    if isinstance(error, RecursionError):
        # A JSON body nested past Python's recursion limit (get_json raises
        # this rather than a ValueError): the request is malformed.
        log.warning("request body nested too deeply on %s %s", request.method, request.path)
        return error_response(400, "request body is nested too deeply")
    return _incident(error)


def install(server: Flask) -> None:
    """Register the handlers on ``server`` (Dash's own ``PreventUpdate`` handler stays more specific)."""
    server.register_error_handler(HexopsError, handle_hexops_error)
    server.register_error_handler(HTTPException, handle_http_error)
    server.register_error_handler(Exception, handle_unexpected)
