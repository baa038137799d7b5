"""hexops's own page router: it renders a page only to someone who may open it.

Dash Pages ships a router (``dash.page_container``: a callback from the
location to ``_pages_content``) that renders whatever page a path names,
leaving authorisation to whoever sits in front of it.  hexops does not use
it.  This router is one callback, registered on each app by
:func:`register`, that

1. parses its two inputs (the location's ``pathname`` and ``search``),
2. asks :func:`hexops.dashboard.paths.resolve` which page that is (the same
   function the full-page-load check asks),
3. renders that page's layout only if :func:`access.page_allowed` says the
   signed-in person may open it; a guest gets the sign-in form (returning
   to the page afterwards), a signed-in person who may not gets a
   "forbidden" panel and an unknown path a "not found" panel, both in the
   app's own frame.

So the page checked is, by construction, the page rendered.  Dash's own
router callback is still registered by Dash (``use_pages=True`` is what
makes ``dash.register_page`` work) but its components are not in the
layout and the access layer refuses it like any callback no page owns.
A partner's page view is recorded (``partner.read``) here, once per
navigation.
"""

from __future__ import annotations

import dash
from dash import ClientsideFunction, Input, Output, dcc, html
from flask import after_this_request

from hexops.dashboard import access, paths
from hexops.dashboard.context import app_context
from hexops.services import sharing
from hexops.errors import InputError

#: Component ids of the router (all start with the shell's prefix, which the access layer treats as public).
LOCATION = "shell-location"
CONTENT = "shell-page"
TITLE = "shell-title"
TITLE_SET = "shell-title-set"


def container() -> html.Div:
    """Where pages appear in the shell's layout (instead of ``dash.page_container``)."""
    return html.Div([
        dcc.Location(id=LOCATION, refresh="callback-nav"),
        dcc.Store(id=TITLE),
        dcc.Store(id=TITLE_SET),
        html.Div(id=CONTENT, className="shell-page"),
    ])


def _text_input(value, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > paths.MAX_PATH_CHARS:
        raise InputError(f"must be text of at most {paths.MAX_PATH_CHARS} characters", field=field)
    return value


def _mark_denied() -> None:
    @after_this_request
    def mark(response):
        response.headers[access.DENIED_HEADER] = "access"
        return response


def _panel(status: int, heading: str, message: str, links: list) -> html.Div:
    return html.Div([html.H1(heading, className="page-title"), html.P(message), html.P(links)],
                    className="error-page", id=f"error-{status}")


def _sign_in(path: str, search: str):
    login = paths.resolve("/login")
    if login is None:
        return _panel(401, "Sign in required", "Sign in to open this page.",
                      [html.A("Sign in", href="/login")])
    return paths.render(login, {"next": path + search})


def route(pathname, search):
    """The router callback: ``(page content, {"title": ...})`` for a location."""
    path = _text_input(pathname, f"{LOCATION}.pathname") or "/"
    search = _text_input(search, f"{LOCATION}.search")
    resolved = paths.resolve(path)
    if resolved is None:
        return (_panel(404, "Page not found", f"There is no page at {path}.",
                       [html.A("Home", href="/")]), {"title": "hexops: not found"})
    user = access.current_user()
    if not access.page_allowed(resolved.page, user):
        _mark_denied()
        if user is None:
            return _sign_in(path, search), {"title": "hexops: sign in"}
        return (_panel(403, "Forbidden", f"{user.username} ({user.role}) may not open {path}.",
                       [html.A("Home", href="/"), " \u00b7 ", html.A("Sign out", href="/auth/logout")]),
                {"title": "hexops: forbidden"})
    if user is not None and user.role == "partner" and access.PUBLIC not in resolved.page["allowed_roles"]:
        # A partner opening a page is a read of shared data: on record, once per navigation.
        sharing.record_page_read(user, resolved.page["path"], app_context().uow())
    return paths.render(resolved, paths.query_arguments(search)), {"title": paths.title(resolved)}


def register(app: dash.Dash) -> None:
    """Register the router and the tab-title updater on ``app`` (once per app)."""
    app.callback(Output(CONTENT, "children"), Output(TITLE, "data"),
                 Input(LOCATION, "pathname"), Input(LOCATION, "search"))(route)
    # The title is set in the browser by a function in assets/shell.js: no inline script.
    app.clientside_callback(ClientsideFunction(namespace="hexops_shell", function_name="setTitle"),
                            Output(TITLE_SET, "data"), Input(TITLE, "data"))
    # The language buttons return to the page shown (in the header, outside the router's content).
    app.clientside_callback(ClientsideFunction(namespace="hexops_shell", function_name="languageNext"),
                            Output("shell-lang-next", "value"), Input(LOCATION, "pathname"), Input(LOCATION, "search"))
