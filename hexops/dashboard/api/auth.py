"""Sign-in and sign-out for people (form posts from the login page), and ``whoami``.

``POST /auth/login`` checks the password, stores a random session id in the
signed Flask cookie and redirects to ``next`` (same-site paths only) or to
the user's landing page; a failure goes back to ``/login`` with the reason.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

import dash
from flask import Blueprint, jsonify, redirect, request, session

from hexops.dashboard import access
from hexops.dashboard.context import app_context
from hexops.services import accounts

blueprint = Blueprint("auth", __name__)


#: What a ``next`` target may contain: printable ASCII of a URL path and
#: query, without space, backslash or fragment.  Browsers drop tabs and
#: newlines inside a ``Location`` and read ``\\`` as ``/``, so either could
#: turn ``/<TAB>/evil.example`` into the other site ``//evil.example``.
_NEXT_CHARS = re.compile(r"^/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$")
#: Longest ``next`` kept (a real page path with its query is far shorter).
MAX_NEXT_CHARS = 1024
#: Longest user name looked up (names are short; anything longer cannot exist).
MAX_USERNAME_CHARS = 150


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a same-site relative path (never another host), else None.

    Accepted: ``/`` followed by path and query characters only.  Refused:
    anything with a scheme or host (``//host``, ``/\\host``,
    ``https://...``), control characters, spaces or backslashes anywhere,
    over-long targets, and the sign-in routes themselves (no loop).
    """
    if not isinstance(target, str) or len(target) > MAX_NEXT_CHARS or not _NEXT_CHARS.match(target):
        return None
    if target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    if target.startswith(("/auth/", "/login")):
        return None
    return target


def _plausible_username(username: str) -> bool:
    """False for a name no account can have (too long, or with control characters)."""
    return len(username) <= MAX_USERNAME_CHARS and username.isprintable()


def landing_path(user: access.User) -> str:
    """Where a user lands after signing in: home if allowed, else the first page they may open."""
    pages = [p for p in dash.page_registry.values() if p.get("nav", True) is not False]
    allowed = [p for p in pages if access.PUBLIC not in (p.get("allowed_roles") or [])
               and access.page_allowed(p, user)]
    for page in allowed:
        if page["path"] == "/":
            return "/"
    return allowed[0]["relative_path"] if allowed else "/login?signed_in=1"


def cross_site() -> bool:
    """True when a browser says this POST comes from another site's page (login CSRF)."""
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin == "null"
    return urlsplit(origin).netloc != request.host


@blueprint.route("/auth/login", methods=["POST"])
@access.public
def login():
    if cross_site():
        return jsonify({"error": "sign-in form posted from another site"}), 403
    username = (request.form.get("username") or "").strip().lower()
    password = request.form.get("password") or ""
    target = safe_next(request.form.get("next"))
    if not _plausible_username(username):
        # Such a name cannot exist: refused like an unknown name, without a
        # database round trip that could not store it anyway.
        query = {"error": accounts.REFUSED_CODE, **({"next": target} if target else {})}
        return redirect("/login?" + urlencode(query), code=303)
    ctx = app_context()
    try:
        session_id, user = accounts.login(
            ctx.uow(), username, password, accounts.Policy.from_settings(ctx.settings), request.remote_addr
        )
    except accounts.AccountError:
        # Only a code travels in the URL: the page words it, so a crafted link
        # cannot put its own text on hexops's sign-in page.
        query = {"error": accounts.REFUSED_CODE}
        if target:
            query["next"] = target
        return redirect("/login?" + urlencode(query), code=303)
    session.clear()
    session["sid"] = session_id
    if target is not None:
        page = access.page_for_path(target.split("?")[0])
        if page is not None and not access.page_allowed(page, user):
            target = None
    return redirect(target or landing_path(user), code=303)


@blueprint.route("/auth/logout", methods=["GET", "POST"])
@access.public
def logout():
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        # A link on another site must not sign the user out (browsers say where a navigation came from).
        return redirect("/", code=303)
    session_id = session.get("sid")
    if session_id:
        user = access.current_user()
        accounts.logout(app_context().uow(), session_id, user.username if user else None)
    session.clear()
    return redirect("/login", code=303)


@blueprint.route("/api/v1/whoami")
@access.allow(*access.ROLES, scope=access.ANY_SCOPE)
def whoami():
    user = access.current_user()
    return jsonify({"username": user.username, "role": user.role, "department": user.department,
                    "layers": sorted(user.layers), "scopes": sorted(user.scopes), "via_token": user.via_token})
