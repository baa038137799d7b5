"""The alert list of a live page: grouped by place, worst first, acknowledged one by one or in bulk.

``alert_panel(prefix, heading)`` lays out a note field, "Acknowledge
selected", a status line and the list container ``<prefix>-alerts``; the
page's refresh callback fills the container with
:func:`render_alerts` (groups from :mod:`hexops.services.alert_handling`).
``register_alert_actions(prefix, kind, focus_id)`` adds the callbacks:
acknowledging (one alert, or every selected one, with the note) bumps the
store ``<prefix>-acked``, which the page's refresh callback takes as an
input so the acknowledgement shows at once; "Show on map" writes the
alert's place to the map's focus store in the browser.
"""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html

from hexops.dashboard import access, inputs
from hexops.dashboard.components.display import hk_time
from hexops.dashboard.context import app_context
from hexops.dashboard.i18n import _
from hexops.errors import InputError
from hexops.services import alert_handling

_SEVERITY_NAMES = {1: "low", 2: "high", 3: "severe"}


def alert_panel(prefix: str, heading: str) -> html.Div:
    """The alert section of a page (see the module docstring)."""
    return html.Div([
        html.H2(heading),
        html.Div([
            html.Label(_("Note for acknowledgements"), htmlFor=f"{prefix}-ack-note", className="control-label"),
            dcc.Input(id=f"{prefix}-ack-note", type="text", maxLength=alert_handling.MAX_NOTE,
                      placeholder=_("optional, e.g. stewards sent")),
            html.Button(_("Acknowledge selected"), id=f"{prefix}-ack-selected"),
        ], className="ack-bar"),
        html.Div(id=f"{prefix}-ack-status", role="status", className="ack-status"),
        html.Div(id=f"{prefix}-alerts"),
        dcc.Store(id=f"{prefix}-acked", data=0),
    ], className="alert-panel")


def selected_ids(values, field: str) -> set[int]:
    """The alert ids ticked in the list (the pattern-matched checklists' values); junk is a 400 naming ``field``."""
    if values is None:
        return set()
    if not isinstance(values, list) or len(values) > 10_000 or not all(v is None or isinstance(v, list)
                                                                       for v in values):
        raise InputError("must be lists of alert ids", field=field)
    return {inputs.optional_int(v, field, low=1, high=2**62) for vals in values for v in (vals or [])} - {None}


def _item(prefix: str, a: alert_handling.AlertItem, selected: set[int]) -> html.Li:
    state_text = a.state
    if a.state == "acknowledged":
        state_text = f"acknowledged by {a.acknowledged_by} at {hk_time(a.acknowledged_at, '%H:%M')}"
    actions = []
    if a.state == "open":
        actions.append(dcc.Checklist(
            options=[{"label": " " + _("Select"), "value": a.alert_id}], value=[a.alert_id] if a.alert_id in selected else [],
            id={"type": f"{prefix}-ack-select", "alert": a.alert_id}, className="ack-select", inline=True))
    if a.lat is not None:
        actions.append(html.Button(_("Show on map"), className="show-button",
                                   id={"type": f"{prefix}-show", "alert": a.alert_id, "cell": a.cell,
                                       "lat": f"{a.lat:.6f}", "lon": f"{a.lon:.6f}"}))
    if a.state == "open":
        actions.append(html.Button(_("Acknowledge"), className="ack-button",
                                   id={"type": f"{prefix}-ack-one", "alert": a.alert_id}))
    return html.Li([
        html.Div([
            html.Span(_SEVERITY_NAMES.get(a.severity, str(a.severity)), className=f"severity severity-{a.severity}"),
            html.Strong(f" {a.title} "),
            html.Span(state_text, className=f"alert-state alert-{a.state}"),
        ], className="alert-head"),
        html.Div(a.place, className="alert-place"),
        html.Div(f"raised {hk_time(a.at, '%d %b %H:%M')} HKT \u00b7 {a.detail}", className="alert-meta"),
        html.Div(f"note: {a.note}", className="alert-note") if a.note else None,
        html.Div(actions, className="alert-actions"),
    ], className=f"alert-item alert-{a.state}", id=f"{prefix}-alert-{a.alert_id}")


def render_alerts(prefix: str, groups: list[alert_handling.AlertGroup], selected: set[int], empty: str) -> html.Div:
    """The grouped list; ``selected`` keeps the ticks of the previous refresh."""
    if not groups:
        return html.P(empty, className="muted")
    sections = []
    for g in groups:
        count = f"{g.open} open" if g.open else "none open"
        sections.append(html.Section([
            html.H3([g.title, html.Span(f" \u00b7 {count} of {len(g.alerts)}", className="muted")]),
            html.Ul([_item(prefix, a, selected) for a in g.alerts], className="alert-list"),
        ], className="alert-group", **{"data-group": g.key}))
    return html.Div(sections, id=f"{prefix}-alert-groups")


def register_alert_actions(prefix: str, kind: str, focus_id: str) -> None:
    """Acknowledge (server) and "show on map" (browser) for the page ``prefix``'s alerts of ``kind``."""

    @callback(
        Output(f"{prefix}-acked", "data"),
        Output(f"{prefix}-ack-status", "children"),
        Output(f"{prefix}-ack-note", "value"),
        Input({"type": f"{prefix}-ack-one", "alert": ALL}, "n_clicks"),
        Input(f"{prefix}-ack-selected", "n_clicks"),
        State({"type": f"{prefix}-ack-select", "alert": ALL}, "value"),
        State(f"{prefix}-ack-note", "value"),
        State(f"{prefix}-acked", "data"),
        prevent_initial_call=True,
    )
    def acknowledge(_one, _selected, ticked, note, acked):
        # Buttons re-created by a refresh also "trigger" (with no clicks): only a real click counts.
        if not ctx.triggered or not ctx.triggered[0].get("value"):
            return dash.no_update, dash.no_update, dash.no_update
        acked = inputs.optional_int(acked, f"{prefix}-acked.data", low=0, high=10**9)
        note = inputs.optional_text(note, f"{prefix}-ack-note.value", max_chars=alert_handling.MAX_NOTE)
        trigger = ctx.triggered_id
        if trigger == f"{prefix}-ack-selected":
            ids = sorted(selected_ids(ticked, f"{prefix}-ack-select.value"))
        elif isinstance(trigger, dict):
            ids = [inputs.optional_int(trigger.get("alert"), f"{prefix}-ack-one.id", low=1, high=2**62)]
        else:
            return dash.no_update, dash.no_update, dash.no_update
        ids = [i for i in ids if i is not None]
        user = access.current_user()
        context = app_context()
        try:
            done = alert_handling.acknowledge(context.uow(), kind, ids, user=user.username, note=note,
                                              at=context.clock().now())
        except InputError as exc:
            return dash.no_update, html.Span(str(exc), className="error"), dash.no_update
        already = len(ids) - len(done)
        # One wording for "already acknowledged" and "no such alert": an id a
        # reader cannot see must not be told apart from one it can.
        message = f"Acknowledged {len(done)} alert(s)" + (
            f"; {already} already acknowledged or not open to you" if already else "") + "."
        return (acked or 0) + 1, message, ""

    clientside_callback(
        """
        function (clicks) {
            var ctx = window.dash_clientside.callback_context;
            var fired = (ctx.triggered || []).filter(function (t) { return t.value; });
            if (!fired.length) { return window.dash_clientside.no_update; }
            var prop = fired[0].prop_id;  // '{"alert":..,"lat":"22.3..",...}.n_clicks': the id holds dots too
            var id = JSON.parse(prop.slice(0, prop.lastIndexOf(".")));
            return {cell: id.cell, lat: parseFloat(id.lat), lon: parseFloat(id.lon), alert: id.alert, n: Date.now()};
        }
        """,
        Output(focus_id, "data"),
        Input({"type": f"{prefix}-show", "alert": ALL, "cell": ALL, "lat": ALL, "lon": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
