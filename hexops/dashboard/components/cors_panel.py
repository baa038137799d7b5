"""The admin page's CORS panel: which web origins may read each department's shared layers from a browser.

A section of ``/admin`` (ids ``admin-cors-*``, so the admin page's roles
authorise its callbacks): the open entries, a form to add an origin for a
department, and removal by entry number after a confirmation naming the
origin. The service audits every change as ``cors.change``
(:mod:`services.cors_origins`).
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html

from hexops.dashboard import access, inputs
from hexops.dashboard.components.display import record_table
from hexops.dashboard.components.forms import confirm, error_outputs, field, messages, refused, text_input
from hexops.dashboard.context import app_context
from hexops.dashboard.i18n import _
from hexops.errors import InputError
from hexops.services import cors_origins, validation

ADD_FIELDS = ["admin-cors-department", "admin-cors-origin", "admin-cors-reason"]
ADD_ALIASES = {"department": "admin-cors-department", "origin": "admin-cors-origin", "reason": "admin-cors-reason"}
REMOVE_FIELDS = ["admin-cors-remove-id"]


def origins_table():
    """The open entries, by department and origin."""
    return record_table(cors_origins.list_origins(app_context().uow()),
                        [("origin_id", _("Entry")), ("department", _("Department")), ("origin", _("Origin")),
                         ("added_by", _("Added by")), ("added_at", _("Added")), ("reason", _("Reason"))],
                        "admin-cors-table",
                        empty=_("No web origin may read shared layers yet: add a partner's origin below."))


def panel(departments: list[str]) -> html.Section:
    """The panel's layout; ``departments`` are the codes an origin can be added for."""
    return html.Section([
        html.H2(_("Web origins allowed to read shared layers (CORS)")),
        html.P(_("A partner's own web page (for example a web map) may read its department's layers from "
                 "these origins, with the department's token.")),
        html.Details([html.Summary(_("What is an origin?")), html.P(_(
            "The scheme, host and port of a web page, such as https://gis.partner.example; exact origins only "
            "(http only on this computer's own address)."))]),
        html.Div(origins_table(), id="admin-cors-origins"),
        html.Div([
            field("admin-cors-department", _("Department"), dcc.Dropdown(
                id="admin-cors-department", options=[{"label": d, "value": d} for d in departments])),
            field("admin-cors-origin", _("Origin"), text_input("admin-cors-origin"),
                  hint=_("For example https://gis.partner.example")),
            field("admin-cors-reason", _("Reason"), text_input("admin-cors-reason"),
                  hint=_("The agreement or ticket; up to {n} characters", n=validation.MAX_TEXT_CHARS)),
            html.Button(_("Allow origin"), id="admin-cors-add"),
        ], className="admin-form"),
        html.Div([
            field("admin-cors-remove-id", _("Entry number"), text_input("admin-cors-remove-id", inputMode="numeric"),
                  hint=_("The number in the Entry column")),
            html.Button(_("Remove"), id="admin-cors-remove", className="danger"),
            confirm("admin-cors-remove-confirm"),
        ], className="admin-form"),
        html.P(id="admin-cors-message", role="status"),
    ])


def _actor() -> str:
    user = access.current_user()
    return user.username if user else "unknown"


def add_origin(_add, department, origin, reason):
    """Add an entry and show the list again."""
    department = inputs.optional_text(department, "admin-cors-department.value", max_chars=50)
    try:
        if not department:
            raise validation.FieldError("admin-cors-department", validation.N_("Required: choose a department."))
        origin = validation.text(origin, "admin-cors-origin", max_chars=300, required=True)
        reason = validation.text(reason, "admin-cors-reason")
        origin_id = cors_origins.add_origin(app_context().uow(), department, origin, actor=_actor(), reason=reason)
    except InputError as exc:
        on_form = any(messages(ADD_FIELDS, exc, ADD_ALIASES))
        return ("" if on_form else refused(exc)), dash.no_update, *messages(ADD_FIELDS, exc, ADD_ALIASES)
    return (_("Allowed {origin} for {department} (entry {entry}).", origin=cors_origins.normalise(origin),
              department=department, entry=origin_id), origins_table(), *messages(ADD_FIELDS))


def _open_entry(origin_id: int) -> dict:
    found = next((r for r in cors_origins.list_origins(app_context().uow()) if r["origin_id"] == origin_id), None)
    if found is None:
        raise validation.FieldError("admin-cors-remove-id", validation.N_(
            "No entry {entry} is on the list: use a number from the Entry column."), entry=origin_id)
    return found


def ask_remove(_clicks, remove_id):
    try:
        found = _open_entry(validation.record_id(remove_id, "admin-cors-remove-id"))
    except InputError as exc:
        return False, dash.no_update, *messages(REMOVE_FIELDS, exc)
    return True, _("Remove {origin} for {department}? Its pages stop reading the layers at once.",
                   origin=found["origin"], department=found["department"]), ""


def remove_origin(_confirmed, remove_id, reason):
    try:
        remove_id = validation.record_id(remove_id, "admin-cors-remove-id")
        reason = validation.text(reason, "admin-cors-reason")
        cors_origins.remove_origin(app_context().uow(), remove_id, actor=_actor(), reason=reason)
    except InputError as exc:
        return refused(exc), dash.no_update
    return _("Removed entry {entry}.", entry=remove_id), origins_table()


def register() -> None:
    """Register this section's callbacks on the app being built.

    Called by the admin page module: Dash runs page modules again for every app
    it builds, but imports a component module once, so a ``@callback`` here would
    reach only the first app of a process.
    """
    callback(Output("admin-cors-message", "children"), Output("admin-cors-origins", "children"),
             *error_outputs(ADD_FIELDS),
             Input("admin-cors-add", "n_clicks"),
             State("admin-cors-department", "value"), State("admin-cors-origin", "value"),
             State("admin-cors-reason", "value"), prevent_initial_call=True)(add_origin)
    callback(Output("admin-cors-remove-confirm", "displayed"), Output("admin-cors-remove-confirm", "message"),
             *error_outputs(REMOVE_FIELDS),
             Input("admin-cors-remove", "n_clicks"), State("admin-cors-remove-id", "value"), prevent_initial_call=True)(ask_remove)
    callback(Output("admin-cors-message", "children", allow_duplicate=True),
             Output("admin-cors-origins", "children", allow_duplicate=True),
             Input("admin-cors-remove-confirm", "submit_n_clicks"), State("admin-cors-remove-id", "value"),
             State("admin-cors-reason", "value"), prevent_initial_call=True)(remove_origin)
