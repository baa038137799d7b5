"""``/admin`` (admins only): users, layer grants with expiry, CORS origins, the audit log, webhook deliveries.

Times are shown in Hong Kong time; a grant's expiry is entered as the last
Hong Kong day it covers (it ends at the start of the next day) and stored in
UTC.  Every form checks its fields with :mod:`hexops.services.validation`
and says beside the field what is allowed; disabling a user and revoking a
grant ask for confirmation first, naming what will change.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

import dash
from dash import Input, Output, State, callback, dcc, html

from hexops.dashboard import access, inputs
from hexops.dashboard.components import admin_grants, cors_panel
from hexops.dashboard.components.display import record_table
from hexops.dashboard.components.forms import error_outputs, field, messages, refused, confirm
from hexops.dashboard.context import app_context
from hexops.dashboard.i18n import N_, _
from hexops.errors import InputError
from hexops.geodata import accounts as account_q
from hexops.geodata import audit
from hexops.geodata import grants as grant_q
from hexops.geodata import webhooks as webhook_q
from hexops.city import HONG_KONG
from hexops.services import accounts, audit_chain, validation

dash.register_page(__name__, path="/admin", name="Admin", title="hexops: admin",
                   allowed_roles=["admin"], id_prefix="admin")

# The sections' callbacks, registered on the app this page module is being run for.
admin_grants.register()
cors_panel.register()

PEOPLE_ROLES = ("commander", "event_manager", "partner", "admin")
ROLE_NAMES = {"commander": N_("Commander"), "event_manager": N_("Event manager"), "partner": N_("Partner"),
              "admin": N_("Administrator"), "device": N_("Device")}
USER_FIELDS = ["admin-user-name", "admin-user-role", "admin-user-department", "admin-user-password"]
USER_ALIASES = {"username": "admin-user-name", "role": "admin-user-role", "department": "admin-user-department",
                "password": "admin-user-password"}
DISABLE_FIELDS = ["admin-user-disable-name"]
AUDIT_FIELDS = ["admin-audit-actor", "admin-audit-action", "admin-audit-dates"]


def _users_table():
    with app_context().db.connection() as conn:
        rows = account_q.list_users(conn)
    for row in rows:
        row["role"] = _(ROLE_NAMES.get(row["role"], row["role"]))
    return record_table(rows, [("username", _("User name")), ("role", _("Role")), ("department", _("Department")),
                               ("disabled", _("Disabled")), ("failed_logins", _("Failed sign-ins")),
                               ("locked_until", _("Locked until")), ("created_at", _("Created"))],
                        "admin-users-table")


def _deliveries():
    with app_context().db.connection() as conn:
        endpoints = webhook_q.list_endpoints(conn)
        rows = webhook_q.list_deliveries(conn, limit=100)
    return html.Div([
        record_table(endpoints, [("endpoint_id", _("Endpoint")), ("department", _("Department")), ("url", "URL"),
                                 ("active", _("Active")), ("created_at", _("Created"))], "admin-endpoints-table",
                     empty=_("No partner has a webhook endpoint yet: a partner's endpoint is added with its "
                             "department's agreement.")),
        record_table(rows, [("delivery_id", _("Delivery")), ("department", _("Department")),
                            ("event_id", _("Event")), ("status", _("Status")), ("attempts", _("Attempts")),
                            ("last_status_code", _("Last answer")), ("last_error", _("Last error")),
                            ("next_attempt_at", _("Next attempt")), ("delivered_at", _("Delivered"))],
                     "admin-deliveries-table",
                     empty=_("Nothing has been sent to partners yet: alerts are sent here as they are raised.")),
    ])


def _choices(values, names=None) -> list[dict]:
    return [{"label": _(names[v]) if names and v in names else v, "value": v} for v in values]


def _users_section(departments) -> html.Section:
    return html.Section([
        html.H2(_("Users")),
        html.Div(_users_table(), id="admin-users"),
        html.H3(_("Add a user")),
        html.Div([
            field("admin-user-name", _("User name"), dcc.Input(id="admin-user-name", type="text"),
                  hint=_("2-63 lower-case letters, digits, '.', '_' or '-'")),
            field("admin-user-role", _("Role"), dcc.Dropdown(id="admin-user-role",
                                                             options=_choices(PEOPLE_ROLES, ROLE_NAMES))),
            field("admin-user-department", _("Department"), dcc.Dropdown(id="admin-user-department",
                                                                         options=_choices(departments)),
                  hint=_("Partners only")),
            field("admin-user-password", _("Password"), dcc.Input(id="admin-user-password", type="password"),
                  hint=_("At least {n} characters", n=accounts.MIN_PASSWORD_LENGTH)),
            html.Button(_("Create user"), id="admin-user-create"),
        ], className="admin-form"),
        html.P(id="admin-user-message", role="status"),
        html.H3(_("Disable a user")),
        html.Div([
            field("admin-user-disable-name", _("User name"), dcc.Input(id="admin-user-disable-name", type="text"),
                  hint=_("Their sessions and tokens stop working at once")),
            html.Button(_("Disable user"), id="admin-user-disable", className="danger"),
            confirm("admin-user-disable-confirm"),
        ], className="admin-form"),
        html.P(id="admin-user-disable-message", role="status"),
    ])


def layout(**_query):
    with app_context().db.connection() as conn:
        departments, layers = grant_q.department_codes(conn), grant_q.layer_names(conn)
    return html.Div([
        html.H1(_("Administration"), className="page-title"),
        _users_section(departments),
        admin_grants.section(departments, layers),
        cors_panel.panel(departments),
        html.Section([
            html.H2(_("Audit log")),
            html.Div([
                field("admin-audit-actor", _("Who (user name)"), dcc.Input(id="admin-audit-actor", type="text")),
                field("admin-audit-action", _("What (action starts with)"),
                      dcc.Input(id="admin-audit-action", type="text"), hint=_("For example login or grant.change")),
                field("admin-audit-dates", _("From and to (Hong Kong dates)"),
                      dcc.DatePickerRange(id="admin-audit-dates", display_format="YYYY-MM-DD",
                                          start_date_placeholder_text=_("From"),
                                          end_date_placeholder_text=_("To"))),
                html.Button(_("Filter"), id="admin-audit-filter"),
                html.A(_("Export CSV"), id="admin-audit-export", href="/api/v1/audit.csv", download=""),
                html.Button(_("Verify chain"), id="admin-audit-verify"),
            ], className="admin-form"),
            html.P(id="admin-audit-status", role="status"),
            html.Div(id="admin-audit-table"),
        ]),
        html.Section([html.H2(_("Webhook deliveries")), html.Div(_deliveries(), id="admin-deliveries")]),
    ], className="page admin-page")


def _actor() -> str:
    user = access.current_user()
    return user.username if user else "unknown"


@callback(Output("admin-user-message", "children"), Output("admin-users", "children"),
          *error_outputs(USER_FIELDS),
          Input("admin-user-create", "n_clicks"),
          State("admin-user-name", "value"), State("admin-user-role", "value"),
          State("admin-user-department", "value"), State("admin-user-password", "value"),
          prevent_initial_call=True)
def create_user(_clicks, username, role, department, password):
    role = inputs.optional_text(role, "admin-user-role.value", max_chars=50)
    department = inputs.optional_text(department, "admin-user-department.value", max_chars=50)
    password = _password(password)
    try:
        username = validation.text(username, "admin-user-name", max_chars=63, required=True).lower()
        if not role:
            raise validation.FieldError("admin-user-role", validation.N_("Required: choose a role."))
        accounts.create_user(app_context().uow(), username, role, password or "", department, actor=_actor())
    except InputError as exc:
        on_form = any(messages(USER_FIELDS, exc, USER_ALIASES))
        return ("" if on_form else refused(exc)), dash.no_update, *messages(USER_FIELDS, exc, USER_ALIASES)
    return _("Created {user}.", user=username), _users_table(), *messages(USER_FIELDS)


def _password(value) -> str | None:
    """The new user's password exactly as typed (not stripped: spaces may be part of it)."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 1000 or "\x00" in value:
        raise InputError("must be text of at most 1000 characters", field="admin-user-password.value")
    return value


@callback(Output("admin-user-disable-confirm", "displayed"), Output("admin-user-disable-confirm", "message"),
          *error_outputs(DISABLE_FIELDS),
          Input("admin-user-disable", "n_clicks"), State("admin-user-disable-name", "value"),
          prevent_initial_call=True)
def ask_disable(_clicks, username):
    """Check the name first, then ask for confirmation naming the user."""
    try:
        username = validation.text(username, "admin-user-disable-name", max_chars=63, required=True).lower()
        with app_context().db.connection() as conn:
            known = account_q.user_id_of(conn, username) is not None
        if not known:
            raise validation.FieldError("admin-user-disable-name", validation.N_("No user {user}: check the name "
                                                                                "in the Users table."), user=username)
    except InputError as exc:
        return False, dash.no_update, *messages(DISABLE_FIELDS, exc)
    return True, _("Disable {user}? They are signed out at once and cannot sign in again.", user=username), ""


@callback(Output("admin-user-disable-message", "children"), Output("admin-users", "children", allow_duplicate=True),
          Input("admin-user-disable-confirm", "submit_n_clicks"), State("admin-user-disable-name", "value"),
          prevent_initial_call=True)
def disable_user(_confirmed, username):
    try:
        username = validation.text(username, "admin-user-disable-name", max_chars=63, required=True).lower()
        accounts.disable_user(app_context().uow(), username, actor=_actor())
    except InputError as exc:
        return refused(exc), dash.no_update
    return _("Disabled {user}.", user=username), _users_table()


def _hk_day_start(value) -> datetime | None:
    picked = validation.day(value, "date", required=False)
    return None if picked is None else datetime.combine(picked, time(0), HONG_KONG.tz)


def audit_filters(actor, action, start_date, end_date) -> dict:
    """The audit filters as query parameters (shared by the table and the CSV link)."""
    params = {"actor": (actor or "").strip(), "action": (action or "").strip()}
    since, until = _hk_day_start(start_date), _hk_day_start(end_date)
    params["since"] = since.isoformat() if since else ""
    params["until"] = (until + timedelta(days=1)).isoformat() if until else ""
    return {k: v for k, v in params.items() if v}


_AUDIT_COLUMNS = [("chain_seq", N_("No.")), ("at", N_("When")), ("actor", N_("Who")), ("action", N_("What")),
                  ("target", N_("On")), ("reason", N_("Reason")), ("details", N_("Details"))]


@callback(Output("admin-audit-table", "children"), Output("admin-audit-export", "href"),
          *error_outputs(AUDIT_FIELDS),
          Input("admin-audit-filter", "n_clicks"),
          State("admin-audit-actor", "value"), State("admin-audit-action", "value"),
          State("admin-audit-dates", "start_date"), State("admin-audit-dates", "end_date"))
def filter_audit(_clicks, actor, action, start_date, end_date):
    try:
        actor = validation.text(actor, "admin-audit-actor", max_chars=150)
        action = validation.text(action, "admin-audit-action", max_chars=100)
        validation.date_range(start_date, end_date, "admin-audit-dates", "admin-audit-dates")
    except InputError as exc:
        return dash.no_update, dash.no_update, *messages(AUDIT_FIELDS, exc)
    params = audit_filters(actor, action, start_date, end_date)
    with app_context().db.connection() as conn:
        rows = list(audit.search(
            conn, actor=params.get("actor"), action_prefix=params.get("action"),
            since=datetime.fromisoformat(params["since"]) if "since" in params else None,
            until=datetime.fromisoformat(params["until"]) if "until" in params else None, limit=200))
    table = record_table(rows, [(key, _(label)) for key, label in _AUDIT_COLUMNS], "admin-audit-rows",
                         empty=_("No entries match: widen the dates or clear a filter."))
    return table, "/api/v1/audit.csv" + ("?" + urlencode(params) if params else ""), *messages(AUDIT_FIELDS)


@callback(Output("admin-audit-status", "children"), Input("admin-audit-verify", "n_clicks"),
          prevent_initial_call=True)
def verify_audit(_clicks):
    ctx = app_context()
    verdict = audit_chain.verify(ctx.uow(), ctx.audit_key(), audit_chain.checkpoint_file(ctx.settings))
    if verdict.ok:
        return _("Chain and seals intact: {rows} entries, {seals} seal(s) consistent.",
                 rows=verdict.chain.rows, seals=verdict.checkpoints)
    return html.Span(_("Audit log BROKEN: {problem}", problem=verdict.problem), className="error", role="alert")
