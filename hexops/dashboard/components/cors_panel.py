"""The admin page's CORS panel: which web origins may read each department's shared layers from a browser.

A section of ``/admin`` (ids ``admin-cors-*``, so the admin page's roles
authorise its callbacks): the open entries, a form to add an origin for a
department, and removal by entry id. The service audits every change as
``cors.change`` (:mod:`services.cors_origins`).
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html

from hexops.dashboard import access
from hexops.dashboard.components.display import record_table
from hexops.dashboard.context import app_context
from hexops.services import cors_origins

_COLUMNS = ["origin_id", "department", "origin", "added_by", "added_at", "reason"]


def origins_table():
    """The open entries, by department and origin."""
    return record_table(cors_origins.list_origins(app_context().uow()), _COLUMNS, "admin-cors-table")


def panel(departments: list[str]) -> html.Section:
    """The panel's layout; ``departments`` are the codes an origin can be added for."""
    return html.Section([
        html.H3("Web origins allowed to read shared layers (CORS)"),
        html.P("A partner's own web page (for example a MapLibre map) may read its department's layers from "
               "these origins, with the department's token. Exact origins only: https://host[:port] "
               "(http only on a loopback host)."),
        html.Div(origins_table(), id="admin-cors-origins"),
        html.Div([
            dcc.Dropdown(id="admin-cors-department", options=[{"label": d, "value": d} for d in departments],
                         placeholder="department"),
            dcc.Input(id="admin-cors-origin", placeholder="https://gis.partner.example"),
            dcc.Input(id="admin-cors-reason", placeholder="reason (agreement, ticket)"),
            html.Button("Allow origin", id="admin-cors-add"),
            dcc.Input(id="admin-cors-remove-id", type="number", placeholder="entry id"),
            html.Button("Remove", id="admin-cors-remove"),
        ], className="admin-form"),
        html.P(id="admin-cors-message", role="status"),
    ])


def _actor() -> str:
    user = access.current_user()
    return user.username if user else "unknown"


@callback(Output("admin-cors-message", "children"), Output("admin-cors-origins", "children"),
          Input("admin-cors-add", "n_clicks"), Input("admin-cors-remove", "n_clicks"),
          State("admin-cors-department", "value"), State("admin-cors-origin", "value"),
          State("admin-cors-reason", "value"), State("admin-cors-remove-id", "value"), prevent_initial_call=True)
def change_origins(_add, _remove, department, origin, reason, remove_id):
    """Add or remove an entry (whichever button was pressed) and show the list again."""
    try:
        if dash.ctx.triggered_id == "admin-cors-remove":
            if remove_id is None:
                return "Not removed: entry id: give the id of an entry on the list", dash.no_update
            cors_origins.remove_origin(app_context().uow(), int(remove_id), actor=_actor(), reason=reason)
            message = f"Removed entry {int(remove_id)}."
        else:
            origin_id = cors_origins.add_origin(app_context().uow(), department or "", origin or "", actor=_actor(),
                                                reason=reason)
            message = f"Allowed {cors_origins.normalise(origin)} for {department} (entry {origin_id})."
    except cors_origins.OriginError as exc:
        return f"Not changed: {exc}", dash.no_update
    return message, origins_table()
