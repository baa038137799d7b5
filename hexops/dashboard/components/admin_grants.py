"""The admin page's layer grants: the table, granting a layer until a date, and revoking one after confirmation.

A section of ``/admin`` (ids ``admin-grant-*``, so the admin page's roles
authorise its callbacks).  The expiry is the Hong Kong date on which
the grant ends (at the start of that day): from tomorrow to
:data:`hexops.services.validation.MAX_GRANT_DAYS` days ahead.  Revoking asks
first, naming the department and layer; the service
(:mod:`hexops.services.grants`) checks the same rules and audits every change.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import dash
from dash import Input, Output, State, callback, dcc, html

from hexops.city import HONG_KONG
from hexops.dashboard import access, inputs
from hexops.dashboard.components.display import hk_time, record_table
from hexops.dashboard.components.forms import confirm, error_outputs, field, messages, refused, text_input
from hexops.dashboard.context import app_context
from hexops.dashboard.i18n import _
from hexops.errors import InputError
from hexops.geodata import grants as grant_q
from hexops.services import grants, validation

GRANT_FIELDS = ["admin-grant-department", "admin-grant-layer", "admin-grant-expiry", "admin-grant-reason"]
GRANT_ALIASES = {"department": "admin-grant-department", "layer": "admin-grant-layer",
                 "expires_at": "admin-grant-expiry", "reason": "admin-grant-reason"}
REVOKE_FIELDS = ["admin-grant-revoke-id", "admin-grant-revoke-reason"]
REVOKE_ALIASES = {"grant_id": "admin-grant-revoke-id", "reason": "admin-grant-revoke-reason"}


def _today() -> date:
    """Hong Kong's date now (grants are real-world agreements: wall time, not the demo clock)."""
    return datetime.now(timezone.utc).astimezone(HONG_KONG.tz).date()


def grants_table():
    with app_context().db.connection() as conn:
        rows = grant_q.list_grants(conn, include_closed=True)
    return record_table(rows, [("grant_id", _("Grant")), ("department", _("Department")), ("layer", _("Layer")),
                               ("live", _("In force")), ("expires_at", _("Ends")), ("granted_by", _("Granted by")),
                               ("granted_at", _("Granted")), ("revoked_at", _("Revoked")), ("reason", _("Reason"))],
                        "admin-grants-table",
                        empty=_("No layer is shared yet: grant a layer to a department below."))


def section(departments: list[str], layers: list[str]) -> html.Section:
    today = _today()
    first, last = today + timedelta(days=1), today + timedelta(days=validation.MAX_GRANT_DAYS)
    return html.Section([
        html.H2(_("Layer grants")),
        html.Div(grants_table(), id="admin-grants"),
        html.H3(_("Grant a layer")),
        html.Div([
            field("admin-grant-department", _("Department"), dcc.Dropdown(
                id="admin-grant-department", options=[{"label": d, "value": d} for d in departments])),
            field("admin-grant-layer", _("Layer"), dcc.Dropdown(
                id="admin-grant-layer", options=[{"label": v, "value": v} for v in layers])),
            field("admin-grant-expiry", _("Ends on (Hong Kong date)"), dcc.DatePickerSingle(
                # No min/max on the picker: it would turn a typed date outside them into "no date", and the
                # refusal could then only say "required"; the server says which dates are allowed instead.
                id="admin-grant-expiry", date=(today + timedelta(days=90)).isoformat(), display_format="YYYY-MM-DD"),
                hint=_("From {first} to {last}", first=first.isoformat(), last=last.isoformat())),
            field("admin-grant-reason", _("Reason"), text_input("admin-grant-reason"),
                  hint=_("The agreement or ticket; up to {n} characters", n=validation.MAX_TEXT_CHARS)),
            html.Button(_("Grant"), id="admin-grant-add"),
        ], className="admin-form"),
        html.P(id="admin-grant-message", role="status"),
        html.H3(_("Revoke a grant")),
        html.Div([
            field("admin-grant-revoke-id", _("Grant number"), text_input("admin-grant-revoke-id", inputMode="numeric"),
                  hint=_("The number in the Grant column of a grant in force")),
            field("admin-grant-revoke-reason", _("Reason"), text_input("admin-grant-revoke-reason"),
                  hint=_("Optional; up to {n} characters", n=validation.MAX_TEXT_CHARS)),
            html.Button(_("Revoke"), id="admin-grant-revoke", className="danger"),
            confirm("admin-grant-revoke-confirm"),
        ], className="admin-form"),
        html.P(id="admin-grant-revoke-message", role="status"),
    ])


def _actor() -> str:
    user = access.current_user()
    return user.username if user else "unknown"


def add_grant(_add, department, layer, expiry, reason):
    department = inputs.optional_text(department, "admin-grant-department.value", max_chars=50)
    layer = inputs.optional_text(layer, "admin-grant-layer.value", max_chars=100)
    try:
        if not department:
            raise validation.FieldError("admin-grant-department", validation.N_("Required: choose a department."))
        if not layer:
            raise validation.FieldError("admin-grant-layer", validation.N_("Required: choose a layer."))
        ends = validation.grant_expiry(expiry, "admin-grant-expiry", today=_today())
        reason = validation.text(reason, "admin-grant-reason")
        until = datetime.combine(ends, time(0), HONG_KONG.tz)
        grants.grant_layer(app_context().uow(), department, layer, until, actor=_actor(), reason=reason)
    except InputError as exc:
        on_form = any(messages(GRANT_FIELDS, exc, GRANT_ALIASES))
        return ("" if on_form else refused(exc)), dash.no_update, *messages(GRANT_FIELDS, exc, GRANT_ALIASES)
    return (_("Granted {layer} to {department} until {until} (Hong Kong time).", layer=layer,
              department=department, until=hk_time(until)), grants_table(), *messages(GRANT_FIELDS))


def _open_grant(grant_id: int) -> dict:
    with app_context().db.connection() as conn:
        rows = grant_q.list_grants(conn, include_closed=False)
    found = next((r for r in rows if r["grant_id"] == grant_id), None)
    if found is None:
        raise validation.FieldError("admin-grant-revoke-id", validation.N_(
            "No grant number {grant} is in force: use a number from the Grant column."), grant=grant_id)
    return found


def ask_revoke(_clicks, grant_id, reason):
    """Check the number and reason, then ask for confirmation naming the department and layer."""
    try:
        grant_id = validation.record_id(grant_id, "admin-grant-revoke-id")
        validation.text(reason, "admin-grant-revoke-reason")
        found = _open_grant(grant_id)
    except InputError as exc:
        return False, dash.no_update, *messages(REVOKE_FIELDS, exc)
    return True, _("Revoke grant {grant}: {department} loses {layer} at once?", grant=grant_id,
                   department=found["department"], layer=found["layer"]), *messages(REVOKE_FIELDS)


def revoke(_confirmed, grant_id, reason):
    try:
        grant_id = validation.record_id(grant_id, "admin-grant-revoke-id")
        reason = validation.text(reason, "admin-grant-revoke-reason")
        grants.revoke_grant(app_context().uow(), grant_id, actor=_actor(), reason=reason)
    except InputError as exc:
        return refused(exc), dash.no_update
    return _("Revoked grant {grant}.", grant=grant_id), grants_table()


def register() -> None:
    """Register this section's callbacks on the app being built.

    Called by the admin page module: Dash runs page modules again for every app
    it builds, but imports a component module once, so a ``@callback`` here would
    reach only the first app of a process.
    """
    callback(Output("admin-grant-message", "children"), Output("admin-grants", "children"),
             *error_outputs(GRANT_FIELDS),
             Input("admin-grant-add", "n_clicks"),
             State("admin-grant-department", "value"), State("admin-grant-layer", "value"),
             State("admin-grant-expiry", "date"), State("admin-grant-reason", "value"), prevent_initial_call=True)(add_grant)
    callback(Output("admin-grant-revoke-confirm", "displayed"), Output("admin-grant-revoke-confirm", "message"),
             *error_outputs(REVOKE_FIELDS),
             Input("admin-grant-revoke", "n_clicks"),
             State("admin-grant-revoke-id", "value"), State("admin-grant-revoke-reason", "value"),
             prevent_initial_call=True)(ask_revoke)
    callback(Output("admin-grant-revoke-message", "children"),
             Output("admin-grants", "children", allow_duplicate=True),
             Input("admin-grant-revoke-confirm", "submit_n_clicks"),
             State("admin-grant-revoke-id", "value"), State("admin-grant-revoke-reason", "value"),
             prevent_initial_call=True)(revoke)
