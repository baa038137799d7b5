"""The frame around every page: header, navigation and the router's page container."""

from __future__ import annotations

import dash
from dash import dcc, html

from hexops.dashboard import access, router


def _nav_links():
    user = access.current_user()
    links = []
    for page in dash.page_registry.values():
        if page.get("nav", True) is False:
            continue
        if user is not None and access.page_allowed(page, user):
            links.append(dcc.Link(page["name"], href=page["relative_path"], className="shell-nav-link"))
    return links


def layout():
    """Built per request, so the navigation shows only the pages the user may open."""
    user = access.current_user()
    who = f"{user.username} ({user.role})" if user is not None else "not signed in"
    return html.Div(
        [
            html.Header(
                [
                    html.Span("hexops", className="shell-brand"),
                    html.Nav(_nav_links(), className="shell-nav"),
                    html.Span(who, id="shell-user", className="shell-user"),
                    # A plain link (full page load): signing out is a server route, not a page.
                    html.A("Sign out" if user is not None else "Sign in", id="shell-auth",
                           href="/auth/logout" if user is not None else "/login", className="shell-auth-link"),
                ],
                className="shell-header",
            ),
            html.Main(router.container(), className="shell-main"),
        ]
    )
