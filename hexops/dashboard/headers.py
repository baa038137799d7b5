"""Security headers on every response, and the Content Security Policy the pages live under.

Every response, error pages and denials included, carries:

- ``Content-Security-Policy`` (see :func:`content_security_policy`), with
  ``frame-ancestors 'none'``, and ``X-Frame-Options: DENY`` for browsers
  that predate it: no page can be framed (clickjacking);
- ``X-Content-Type-Options: nosniff``: a JSON or CSV answer is never run as
  a script or page;
- ``Referrer-Policy: same-origin``: a page's address (with its ``?at=`` or
  filters) never leaks to the tile server or another site (``no-referrer``
  would also make the browser send ``Origin: null`` on the sign-in form,
  which the login-CSRF check must refuse);
- ``Cross-Origin-Opener-Policy: same-origin`` and a ``Permissions-Policy``
  that turns off camera, microphone and location;
- ``Cache-Control: no-store`` on everything except Dash's fingerprinted
  scripts, the static assets and the land-hex geometry (public H3 cells, the
  map's largest payload, marked ``private, immutable`` by its view), so no
  page, callback answer or API document stays in a browser's or proxy's cache;
- ``Strict-Transport-Security`` when the request came over HTTPS.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request

#: Paths whose own caching headers are kept (no private data in them).
CACHEABLE_PREFIXES = ("/_dash-component-suites/", "/assets/", "/_favicon.ico", "/api/v1/hexmap/cells/")

_FIXED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def tile_origin(tile_url: str | None) -> str | None:
    """The origin of an XYZ tile template (``https://{s}.tiles.example/{z}/{x}/{y}.png``), for ``img-src``."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    # A subdomain placeholder becomes CSP's leftmost-label wildcard.
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"


def content_security_policy(script_hashes: list[str], tile_url: str | None = None) -> str:
    """The policy every page is served under.

    Parameters
    ----------
    script_hashes : list of str
        CSP hashes (``'sha256-...'``) of the inline scripts Dash writes into
        its index page: the renderer's start-up line and the inline
        clientside callbacks (``dash.Dash.csp_hashes``).  No other inline
        script and no ``eval`` may run.
    tile_url : str, optional
        The base-map tile template; its origin is added to ``img-src``.

    Notes
    -----
    ``style-src`` allows ``'unsafe-inline'``: Dash's renderer and its core
    components (dropdowns, date pickers) and Plotly insert ``<style>``
    elements and ``style`` attributes at run time (with ``style-src 'self'``
    the browser tests show each of them refused).  Inline styles cannot run
    code.  Scripts need no such allowance: no ``'unsafe-inline'`` and no
    ``'unsafe-eval'`` (Plotly's charts and the hex map run without either).
    """
    images = ["'self'", "data:"]
    origin = tile_origin(tile_url)
    if origin:
        images.append(origin)
    directives = [
        "default-src 'self'",
        "script-src 'self' " + " ".join(script_hashes),
        "style-src 'self' 'unsafe-inline'",
        "img-src " + " ".join(images),
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def apply(response: Response, policy: str) -> Response:
    """Set the headers on ``response`` (an ``after_request`` hook)."""
    for name, value in _FIXED.items():
        response.headers[name] = value
    response.headers["Content-Security-Policy"] = policy
    if not (request.path.startswith(CACHEABLE_PREFIXES) and "Cache-Control" in response.headers):
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
        response.headers.pop("Pragma", None)
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def install(server: Flask, policy) -> None:
    """Add the headers to every response of ``server``; ``policy()`` gives the current CSP."""
    server.after_request(lambda response: apply(response, policy()))
