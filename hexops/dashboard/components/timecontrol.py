"""The time control of a live page: follow the clock, or jump to any moment in the data.

``time_control(prefix, ...)`` lays out a "Live" button, a date picker, a
time field (HH:MM, the city's time), "Go", and steps of five minutes and an
hour either way.  The moment shown lives in the store ``<prefix>-at`` (an
ISO-8601 time, or None for live) and in the page's URL as ``?at=...``, so a
link opens the page at the same moment; the page's refresh callback reads
the store and passes it to :func:`hexops.services.clock.time_shown`.
Times after the clock's now are refused (nothing is known about them yet).

Call ``register_time_control(prefix)`` once at module level.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, html

from hexops.dashboard import inputs
from hexops.dashboard.context import app_context
from hexops.dashboard.i18n import N_, _
from hexops.errors import InputError
from hexops.services import clock as clock_service

#: The step buttons: (id suffix, label, minutes, accessible name).
STEPS = (("back-hour", "\u2212 1 h", -60, N_("One hour earlier")), ("back", "\u2212 5 min", -5, N_("Five minutes earlier")),
         ("fwd", "+ 5 min", 5, N_("Five minutes later")), ("fwd-hour", "+ 1 h", 60, N_("One hour later")))


def _link_time(pinned) -> str | None:
    """``?at=`` when it is a time with an offset; a broken link opens the live page instead."""
    try:
        return pinned if inputs.optional_time(pinned, "at") else None
    except InputError:
        return None


def time_control(prefix: str, pinned: str | None) -> html.Div:
    """The control bar (see the module docstring); ``pinned`` is the ``?at=`` the page was opened with."""
    pinned = _link_time(pinned)
    context = app_context()
    now = context.clock().now()
    tz = context.city.tz
    first, last = clock_service.picker_bounds(context.uow(), now, tz)
    shown, _mode = clock_service.time_shown(now, None, pinned)
    local = shown.astimezone(tz)
    return html.Div([
        html.Button(_("Live"), id=f"{prefix}-at-live", className="time-live", title=_("Follow the clock")),
        html.Div([html.Label(_("Date"), htmlFor=f"{prefix}-at-date", className="control-label"),
                  dcc.DatePickerSingle(id=f"{prefix}-at-date", date=local.date().isoformat(), min_date_allowed=first,
                                       max_date_allowed=last, display_format="YYYY-MM-DD",
                                       initial_visible_month=local.date().isoformat())], className="control"),
        html.Div([html.Label(_("Time (HH:MM)"), htmlFor=f"{prefix}-at-time", className="control-label"),
                  dcc.Input(id=f"{prefix}-at-time", type="text", value=local.strftime("%H:%M"), size="5",
                            maxLength=5, placeholder="HH:MM", debounce=True)], className="control"),
        html.Button(_("Go"), id=f"{prefix}-at-go"),
        html.Div([html.Button(label, id=f"{prefix}-at-{suffix}", title=_(name), **{"aria-label": _(name)})
                  for suffix, label, _minutes, name in STEPS], className="time-steps", role="group",
                 **{"aria-label": _("Step through time")}),
        html.Div(id=f"{prefix}-at-message", role="status", className="time-message"),
        dcc.Store(id=f"{prefix}-at", data=pinned),
        dcc.Store(id=f"{prefix}-at-url"),
    ], className="time-control", role="group", **{"aria-label": _("Time shown")})


def register_time_control(prefix: str) -> None:
    """The callbacks of the page ``prefix``'s time control."""
    step_ids = {f"{prefix}-at-{suffix}": minutes for suffix, _label, minutes, _name in STEPS}

    @callback(
        Output(f"{prefix}-at", "data"),
        Output(f"{prefix}-at-message", "children"),
        Output(f"{prefix}-at-date", "date"),
        Output(f"{prefix}-at-time", "value"),
        Input(f"{prefix}-at-live", "n_clicks"),
        Input(f"{prefix}-at-go", "n_clicks"),
        Input(f"{prefix}-at-time", "n_submit"),
        *(Input(i, "n_clicks") for i in step_ids),
        State(f"{prefix}-at-date", "date"),
        State(f"{prefix}-at-time", "value"),
        State(f"{prefix}-at", "data"),
        prevent_initial_call=True,
    )
    def move(*args):
        date, time_text, pinned = args[-3:]
        day = inputs.optional_date(date, f"{prefix}-at-date.date")
        time_text = inputs.optional_text(time_text, f"{prefix}-at-time.value", max_chars=10)
        pinned = inputs.optional_time(pinned, f"{prefix}-at.data") and pinned
        trigger = ctx.triggered_id
        context = app_context()
        now = context.clock().now()
        tz = context.city.tz
        if trigger == f"{prefix}-at-live":
            at = None
        elif trigger in step_ids:
            at = clock_service.step_time(pinned, step_ids[trigger], now)
        else:
            try:
                at = clock_service.pick_time(day.isoformat() if day else None, time_text, tz, now)
            except InputError as exc:
                return dash.no_update, html.Span(str(exc), className="error"), dash.no_update, dash.no_update
        shown = (at or now).astimezone(tz)
        moment = shown.strftime("%d %b %Y %H:%M")
        message = _("Live: following the clock.") if at is None else _("Showing {moment} (replay).", moment=moment)
        return (at.isoformat() if at else None), message, shown.date().isoformat(), shown.strftime("%H:%M")

    # The moment shown goes into the URL without reloading the page (a link reopens it there).
    clientside_callback(
        """
        function (at) {
            var url = new URL(window.location.href);
            if (at) { url.searchParams.set("at", at); } else { url.searchParams.delete("at"); }
            window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
            return at || "";
        }
        """,
        Output(f"{prefix}-at-url", "data"),
        Input(f"{prefix}-at", "data"),
    )
