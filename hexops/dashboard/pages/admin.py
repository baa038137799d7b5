"""``/admin`` (admins only): users, layer grants with expiry, CORS origins, the audit log, webhook deliveries.

Times are shown in Asia/Hong_Kong; grant expiries are entered as Hong Kong
dates (the grant ends at the start of that day) and stored in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

import dash
from dash import Input, Output, State, callback, dcc, html

from hexops.dashboard import access, inputs
from hexops.city import HONG_KONG
from hexops.dashboard.components import cors_panel
from hexops.errors import InputError
from hexops.dashboard.components.display import hk_time, record_table
from hexops.dashboard.context import app_context
from hexops.geodata import accounts as account_q
from hexops.geodata import audit
from hexops.geodata import grants as grant_q
from hexops.geodata import webhooks as webhook_q
from hexops.services import accounts, audit_chain, grants

dash.register_page(__name__, path="/admin", name="Admin", title="hexops: admin",
                   allowed_roles=["admin"], id_prefix="admin")

PEOPLE_ROLES = ("commander", "event_manager", "partner", "admin")


def _usersrecord_table():
    with app_context().db.connection() as conn:
        rows = account_q.list_users(conn)
    return record_table(rows, ["username", "role", "department", "disabled", "failed_logins", "locked_until",
                         "created_at"], "admin-users-table")


def _grantsrecord_table():
    with app_context().db.connection() as conn:
        rows = grant_q.list_grants(conn, include_closed=True)
    return record_table(rows, ["grant_id", "department", "layer", "live", "expires_at", "granted_by", "granted_at",
                         "revoked_at", "reason"], "admin-grants-table")


def _deliveriesrecord_table():
    with app_context().db.connection() as conn:
        endpoints = webhook_q.list_endpoints(conn)
        rows = webhook_q.list_deliveries(conn, limit=100)
    return html.Div([
        record_table(endpoints, ["endpoint_id", "department", "url", "active", "created_at"], "admin-endpoints-table"),
        record_table(rows, ["delivery_id", "department", "event_id", "status", "attempts", "last_status_code",
                      "last_error", "next_attempt_at", "delivered_at"], "admin-deliveries-table"),
    ])


def _choices(values) -> list[dict]:
    return [{"label": v, "value": v} for v in values]


def layout(**_query):
    with app_context().db.connection() as conn:
        departments, layers = grant_q.department_codes(conn), grant_q.layer_names(conn)
    return html.Div([
        html.H2("Administration"),
        html.Section([
            html.H3("Users"),
            html.Div(_usersrecord_table(), id="admin-users"),
            html.Div([
                dcc.Input(id="admin-user-name", placeholder="user name"),
                dcc.Dropdown(id="admin-user-role", options=_choices(PEOPLE_ROLES), placeholder="role"),
                dcc.Dropdown(id="admin-user-department", options=_choices(departments), placeholder="department"),
                dcc.Input(id="admin-user-password", type="password", placeholder="password (10+ characters)"),
                html.Button("Create user", id="admin-user-create"),
            ], className="admin-form"),
            html.P(id="admin-user-message", role="status"),
        ]),
        html.Section([
            html.H3("Layer grants"),
            html.Div(_grantsrecord_table(), id="admin-grants"),
            html.Div([
                dcc.Dropdown(id="admin-grant-department", options=_choices(departments), placeholder="department"),
                dcc.Dropdown(id="admin-grant-layer", options=_choices(layers), placeholder="layer"),
                dcc.DatePickerSingle(id="admin-grant-expiry", date=(date.today() + timedelta(days=90)).isoformat(),
                                     display_format="YYYY-MM-DD"),
                dcc.Input(id="admin-grant-reason", placeholder="reason (agreement, ticket)"),
                html.Button("Grant", id="admin-grant-add"),
                dcc.Input(id="admin-grant-revoke-id", type="number", placeholder="grant id"),
                html.Button("Revoke", id="admin-grant-revoke"),
            ], className="admin-form"),
            html.P(id="admin-grant-message", role="status"),
        ]),
        cors_panel.panel(departments),
        html.Section([
            html.H3("Audit log"),
            html.Div([
                dcc.Input(id="admin-audit-actor", placeholder="actor"),
                dcc.Input(id="admin-audit-action", placeholder="action prefix (login, grant.change)"),
                dcc.DatePickerRange(id="admin-audit-dates", display_format="YYYY-MM-DD"),
                html.Button("Filter", id="admin-audit-filter"),
                html.A("Export CSV", id="admin-audit-export", href="/api/v1/audit.csv"),
                html.Button("Verify chain", id="admin-audit-verify"),
            ], className="admin-form"),
            html.P(id="admin-audit-status", role="status"),
            html.Div(id="admin-audit-table"),
        ]),
        html.Section([html.H3("Webhook deliveries"), html.Div(_deliveriesrecord_table(), id="admin-deliveries")]),
    ], className="admin-page")


def _actor() -> str:
    user = access.current_user()
    return user.username if user else "unknown"


@callback(Output("admin-user-message", "children"), Output("admin-users", "children"),
          Input("admin-user-create", "n_clicks"),
          State("admin-user-name", "value"), State("admin-user-role", "value"),
          State("admin-user-department", "value"), State("admin-user-password", "value"),
          prevent_initial_call=True)
def create_user(_clicks, username, role, department, password):
    username = inputs.optional_text(username, "admin-user-name.value", max_chars=150)
    role = inputs.optional_text(role, "admin-user-role.value", max_chars=50)
    department = inputs.optional_text(department, "admin-user-department.value", max_chars=50)
    password = _password(password)
    try:
        accounts.create_user(app_context().uow(), (username or "").strip().lower(), role or "", password or "",
                             department, actor=_actor())
    except accounts.AccountError as exc:
        return f"Not created: {exc}", dash.no_update
    return f"Created {username} ({role}).", _usersrecord_table()


def _password(value) -> str | None:
    """The new user's password exactly as typed (not stripped: spaces may be part of it)."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 1000 or "\x00" in value:
        raise InputError("must be text of at most 1000 characters", field="admin-user-password.value")
    return value


def _hk_day_start(value: str | None) -> datetime | None:
    picked = inputs.optional_date(value, "date")
    return None if picked is None else datetime.combine(picked, time(0), HONG_KONG.tz)


@callback(Output("admin-grant-message", "children"), Output("admin-grants", "children"),
          Input("admin-grant-add", "n_clicks"), Input("admin-grant-revoke", "n_clicks"),
          State("admin-grant-department", "value"), State("admin-grant-layer", "value"),
          State("admin-grant-expiry", "date"), State("admin-grant-reason", "value"),
          State("admin-grant-revoke-id", "value"), prevent_initial_call=True)
def change_grant(_add, _revoke, department, layer, expiry, reason, revoke_id):
    department = inputs.optional_text(department, "admin-grant-department.value", max_chars=50)
    layer = inputs.optional_text(layer, "admin-grant-layer.value", max_chars=100)
    inputs.optional_date(expiry, "admin-grant-expiry.date")
    reason = inputs.optional_text(reason, "admin-grant-reason.value")
    revoke_id = inputs.optional_int(revoke_id, "admin-grant-revoke-id.value", low=1, high=2**62)
    try:
        if dash.ctx.triggered_id == "admin-grant-revoke":
            if revoke_id is None:
                return "Not revoked: grant id: give the id of an open grant", dash.no_update
            grants.revoke_grant(app_context().uow(), int(revoke_id), actor=_actor(), reason=reason)
            message = f"Revoked grant {int(revoke_id)}."
        else:
            until = _hk_day_start(expiry)
            if until is None:
                return "Not granted: expiry: choose a date", dash.no_update
            grants.grant_layer(app_context().uow(), department or "", layer or "", until, actor=_actor(),
                               reason=reason)
            message = f"Granted {layer} to {department} until {hk_time(until)} (Hong Kong time)."
    except grants.GrantError as exc:
        return f"Not changed: {exc}", dash.no_update
    return message, _grantsrecord_table()


def audit_filters(actor, action, start_date, end_date) -> dict:
    """The audit filters as query parameters (shared by the table and the CSV link)."""
    params = {"actor": (actor or "").strip(), "action": (action or "").strip()}
    since, until = _hk_day_start(start_date), _hk_day_start(end_date)
    params["since"] = since.isoformat() if since else ""
    params["until"] = (until + timedelta(days=1)).isoformat() if until else ""
    return {k: v for k, v in params.items() if v}


@callback(Output("admin-audit-table", "children"), Output("admin-audit-export", "href"),
          Input("admin-audit-filter", "n_clicks"),
          State("admin-audit-actor", "value"), State("admin-audit-action", "value"),
          State("admin-audit-dates", "start_date"), State("admin-audit-dates", "end_date"))
def filter_audit(_clicks, actor, action, start_date, end_date):
    actor = inputs.optional_text(actor, "admin-audit-actor.value", max_chars=150)
    action = inputs.optional_text(action, "admin-audit-action.value", max_chars=100)
    inputs.optional_date(start_date, "admin-audit-dates.start_date")
    inputs.optional_date(end_date, "admin-audit-dates.end_date")
    params = audit_filters(actor, action, start_date, end_date)
    with app_context().db.connection() as conn:
        rows = list(audit.search(
            conn, actor=params.get("actor"), action_prefix=params.get("action"),
            since=datetime.fromisoformat(params["since"]) if "since" in params else None,
            until=datetime.fromisoformat(params["until"]) if "until" in params else None, limit=200))
    table = record_table(rows, ["chain_seq", "at", "actor", "action", "target", "reason", "details"], "admin-audit-rows")
    return table, "/api/v1/audit.csv" + ("?" + urlencode(params) if params else "")


@callback(Output("admin-audit-status", "children"), Input("admin-audit-verify", "n_clicks"),
          prevent_initial_call=True)
def verify_audit(_clicks):
    ctx = app_context()
    verdict = audit_chain.verify(ctx.uow(), ctx.audit_key(), audit_chain.checkpoint_file(ctx.settings))
    if verdict.ok:
        return (f"Chain and seals intact: {verdict.chain.rows} rows, {verdict.checkpoints} checkpoint(s) "
                f"consistent; head {verdict.chain.head_hash}")
    return f"Audit log BROKEN: {verdict.problem}"
