"""The frame around every page: header (navigation, the product's clock, who is signed in) and the router's page container.

The clock in the header is the one clock every page, job and export uses
(:mod:`hexops.services.clock`): the scenario time with "demo replay x10"
during a replay, wall time with "live" otherwise.  The server renders it
once per page load; ``assets/clock.js`` then ticks it in the browser and
re-reads ``/api/v1/clock`` every few seconds, so it needs no callback.
"""

from __future__ import annotations

import logging

import dash
from dash import dcc, html

from hexops.dashboard import access, router
from hexops.dashboard.context import app_context
from hexops.services.clock import describe

log = logging.getLogger(__name__)


def _nav_links():
    user = access.current_user()
    links = []
    for page in dash.page_registry.values():
        if page.get("nav", True) is False:
            continue
        if user is not None and access.page_allowed(page, user):
            links.append(dcc.Link(page["name"], href=page["relative_path"], className="shell-nav-link"))
    return links


def _clock(signed_in: bool) -> html.Div:
    """The header clock: local time of the product clock and its kind (rendered now, ticked by clock.js)."""
    if not signed_in:
        return html.Div(id="shell-clock", className="shell-clock")
    context = app_context()
    try:
        shown = describe(context.clock(), context.city.tz)
    except Exception:  # the database is away: the page still renders, without a clock
        log.warning("header clock: the clock could not be read", exc_info=True)
        return html.Div("clock unavailable", id="shell-clock", className="shell-clock muted")
    mode = "live" if not shown["scenario"] else "replay"
    return html.Div(
        [html.Span(shown["local"], id="shell-clock-time", className="shell-clock-time"),
         html.Span(f" {shown['zone']}", className="shell-clock-zone"),
         html.Span(shown["label"], id="shell-clock-label", className=f"shell-clock-label clock-{mode}")],
        id="shell-clock", className="shell-clock", role="timer", title="The time every page, job and export uses",
        **{"aria-label": "Product clock", "data-now-ms": str(shown["now_ms"]), "data-speed": str(shown["speed"]),
           "data-stop-ms": str(shown["stop_ms"] or ""), "data-tz": context.city.time_zone},
    )


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
                    _clock(user is not None),
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
