"""The sign-in page (public): a plain HTML form posting to ``/auth/login``."""

from __future__ import annotations

import dash
from dash import dcc, html

from hexops.dashboard import access
from hexops.dashboard.i18n import _
from hexops.services import accounts

dash.register_page(__name__, path="/login", name="Sign in", title="hexops: sign in",
                   allowed_roles=[access.PUBLIC], nav=False, id_prefix="login")


def layout(next: str | None = None, error: str | None = None, **_query):  # noqa: A002  Dash passes ?next=
    """The form; ``next`` (a path on this site) is where to go after signing in."""
    user = access.current_user()
    notice = []
    if error == accounts.REFUSED_CODE:
        notice.append(html.P(_(accounts.REFUSED), id="login-error", className="login-error", role="alert"))
    if user is not None:
        notice.append(html.P([_("Signed in as {user}.", user=user.username) + " ",
                              html.A(_("Sign out"), href="/auth/logout", id="login-signout")],
                             id="login-current"))
    return html.Div(
        [
            html.H1(_("Sign in to hexops"), className="page-title"),
            *notice,
            html.Form(
                [
                    html.Label(_("User name"), htmlFor="login-username"),
                    dcc.Input(id="login-username", name="username", type="text", autoComplete="username",
                              required=True),
                    html.Label(_("Password"), htmlFor="login-password"),
                    dcc.Input(id="login-password", name="password", type="password",
                              autoComplete="current-password", required=True),
                    dcc.Input(id="login-next", name="next", type="hidden", value=next or ""),
                    html.Button(_("Sign in"), id="login-submit", type="submit"),
                ],
                action="/auth/login", method="POST", id="login-form", className="login-form",
            ),
        ],
        className="login-page",
    )
