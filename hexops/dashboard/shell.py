"""The frame around every page: header (navigation, the product's clock, language, who is signed in) and the router's page container.

The clock in the header is the one clock every page, job and export uses
(:mod:`hexops.services.clock`): the scenario time with "demo replay x10"
during a replay, wall time with "live" otherwise.  The server renders it
once per page load; ``assets/clock.js`` then ticks it in the browser and
re-reads ``/api/v1/clock`` every few seconds, so it needs no callback.

The language buttons post to ``/settings/language`` (:mod:`dashboard.api.preferences`);
the banner ``shell-error`` is filled by ``assets/errors.js`` when the server
refuses or fails a request a page made, so no failure goes unseen.
"""

from __future__ import annotations

import logging

import dash
from dash import dcc, html

from hexops.dashboard import access, i18n, router
from hexops.dashboard.context import app_context
from hexops.dashboard.i18n import N_, _
from hexops.services.clock import describe

log = logging.getLogger(__name__)

#: The pages' names (``dash.register_page(name=...)``), here so the catalogue has them; shown with ``_(name)``.
PAGE_NAMES = (N_("City map"), N_("Commander"), N_("Events"), N_("Drainage"), N_("System"), N_("Vault"),
              N_("Admin"), N_("Sign in"))
#: Sentences the services word (the pages show them with ``_``), here so the catalogue has them.
SERVICE_SENTENCES = (N_("wrong user name or password, or the account is locked after repeated failures"),)
#: Roles as the header names them.
ROLE_LABELS = {"commander": N_("commander"), "event_manager": N_("event manager"), "partner": N_("partner"),
               "admin": N_("admin"), "device": N_("device")}


def _nav_links():
    user = access.current_user()
    links = []
    for page in dash.page_registry.values():
        if page.get("nav", True) is False:
            continue
        if user is not None and access.page_allowed(page, user):
            links.append(dcc.Link(_(page["name"]), href=page["relative_path"], className="shell-nav-link"))
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
        return html.Div(_("clock unavailable"), id="shell-clock", className="shell-clock muted")
    mode = "live" if not shown["scenario"] else "replay"
    return html.Div(
        [html.Span(shown["local"], id="shell-clock-time", className="shell-clock-time"),
         html.Span(f" {shown['zone']}", className="shell-clock-zone"),
         html.Span(shown["label"], id="shell-clock-label", className=f"shell-clock-label clock-{mode}")],
        id="shell-clock", className="shell-clock", role="timer", title=_("The time every page, job and export uses"),
        **{"aria-label": _("Product clock"), "data-now-ms": str(shown["now_ms"]), "data-speed": str(shown["speed"]),
           "data-stop-ms": str(shown["stop_ms"] or ""), "data-tz": context.city.time_zone},
    )


def _languages() -> html.Form:
    """One button per language, the current one marked; posts to ``/settings/language``."""
    current = i18n.current_tag()
    buttons = [html.Button(name, type="submit", name="lang", value=tag, lang=tag, className="shell-lang-button",
                           **{"aria-pressed": "true" if tag == current else "false"})
               for tag, _locale, name in i18n.LANGUAGES]
    return html.Form(
        [*buttons, dcc.Input(id="shell-lang-next", name="next", type="hidden", value="/")],
        action="/settings/language", method="POST", id="shell-lang", className="shell-lang",
        **{"aria-label": _("Language")},
    )


def _error_banner() -> html.Div:
    """Where ``assets/errors.js`` shows a request the server refused or failed (sentences in the page's language)."""
    return html.Div(
        [html.Span(id="shell-error-text"),
         html.Button(_("Dismiss"), id="shell-error-close", type="button", className="shell-error-close")],
        id="shell-error", className="shell-error", role="alert", hidden=True,
        **{"data-refused": _("The server refused this:"),
           "data-failed": _("Something went wrong on the server; it has been logged. Try again, or tell an "
                            "administrator this reference:"),
           "data-offline": _("The server could not be reached: check the connection and try again.")},
    )


def layout():
    """Built per request, so the navigation shows only the pages the user may open, in the user's language."""
    user = access.current_user()
    who = f"{user.username} ({_(ROLE_LABELS.get(user.role, user.role))})" if user is not None \
        else _("not signed in")
    return html.Div(
        [
            html.A(_("Skip to the page"), href="#shell-main", className="skip-link"),
            html.Header(
                [
                    html.Span("hexops", className="shell-brand"),
                    html.Nav(_nav_links(), className="shell-nav", **{"aria-label": _("Pages")}),
                    _clock(user is not None),
                    _languages(),
                    html.Span(who, id="shell-user", className="shell-user"),
                    # A plain link (full page load): signing out is a server route, not a page.
                    html.A(_("Sign out") if user is not None else _("Sign in"), id="shell-auth",
                           href="/auth/logout" if user is not None else "/login", className="shell-auth-link"),
                ],
                className="shell-header",
            ),
            _error_banner(),
            html.Main(router.container(), className="shell-main", id="shell-main", tabIndex="-1"),
        ]
    )
