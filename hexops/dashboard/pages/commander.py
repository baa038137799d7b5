"""The commander's page: risk map, backtest beside it, hex explanations, patrol plan, bias audit.

A patrol plan is drafted with "Draft a plan for the next shift" and is a
draft (not counted in dosage or the bias audit, no visits reported against
it) until the commander presses "Issue this plan".  Opening the page writes
nothing: it shows the commander's newest draft or the newest issued plan.

Times on screen are Asia/Hong_Kong.  Forecasts are H3 resolution 9; the map
is :func:`dashboard.components.hexmap.hex_map`, fed through its values store.
"""

from __future__ import annotations

import dash
import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html

from hexops.dashboard import access, inputs
from hexops.dashboard.components.forecast_panel import forecast_panel
from hexops.dashboard.components.forms import error_outputs, field, lands_on_form, messages, refused, text_input
from hexops.dashboard.i18n import N_, _
from hexops.errors import InputError
from hexops.services import validation
from hexops.dashboard.components.hexmap import hex_map, hexmap_ids, register_hex_map
from hexops.dashboard.context import app_context
from hexops.geodata import incidents as incident_sql
from hexops.geodata import risk as risk_sql
from hexops.geodata.h3cells import cell_to_str, str_to_cell
from hexops.services import heatmap
from hexops.services import patrol as patrol_service
from hexops.services import risk as risk_service
from hexops.city import HONG_KONG

dash.register_page(
    __name__,
    path="/commander",
    name="Commander",
    allowed_roles=["commander", "admin"],
    id_prefix="commander",
)

IDS = hexmap_ids("commander")
register_hex_map("commander")
RESOLUTION = 9
PLAN_FIELDS = ["commander-plan-units"]
PLAN_ALIASES = {"units": "commander-plan-units"}
ALL = "__all__"
HORIZONS = [{"label": N_("Next shift"), "value": "shift"}, {"label": N_("Next day"), "value": "1d"},
            {"label": N_("Next week"), "value": "7d"}]


def _hk(ts) -> str:
    return pd.Timestamp(ts).tz_convert(HONG_KONG.time_zone).strftime("%a %d %b %H:%M")


def _control(label: str, control) -> html.Div:
    return html.Div([html.Label(label, className="control-label"), control], className="control")


def layout(**_query) -> html.Div:
    with app_context().db.connection() as conn:
        districts = risk_sql.districts(conn)
        types = incident_sql.incident_types(conn)
    district_options = [{"label": _("All districts"), "value": ALL}] + [
        {"label": f"{code} {name}", "value": code} for code, name in districts]
    type_options = [{"label": _("All types"), "value": ALL}] + [{"label": t, "value": t} for t in types]
    return html.Div([
        html.Div([
            _control(_("Horizon"), dcc.RadioItems([{"label": _(h["label"]), "value": h["value"]} for h in HORIZONS], "1d", id="commander-horizon", className="segmented",
                                               inputClassName="segmented-input", labelClassName="segmented-label")),
            _control(_("Type"), dcc.Dropdown(type_options, ALL, id="commander-type", clearable=False,
                                          style={"minWidth": "170px"})),
            _control(_("District"), dcc.Dropdown(district_options, ALL, id="commander-district", clearable=False,
                                              style={"minWidth": "230px"})),
            html.Div(id="commander-run", className="window-label"),
        ], className="map-controls"),
        html.Div([
            hex_map("commander", resolutions=(RESOLUTION,), colors="risk", show_districts=True,
                    tile_url=app_context().settings.tile_url, height="62vh"),
            html.Aside([
                html.H2(_("How well it forecasts")), html.Div(id="commander-backtest"),
                html.H2(_("Selected hex")), html.Div(_("Click a hex for its expected count, rank and why."),
                                                  id="commander-hex"),
            ], className="map-side"),
        ], className="map-body"),
        html.Section([
            html.H2(_("Patrol plan")),
            html.Div([
                _control(_("District"), dcc.Dropdown(district_options[1:], districts[0][0] if districts else None,
                                                  id="commander-plan-district", clearable=False,
                                                  style={"minWidth": "230px"})),
                field("commander-plan-units", _("Units"), text_input("commander-plan-units", value="6",
                                                                     inputMode="numeric", size="5"),
                      hint=_("Patrol units to send out: a whole number from 1 to {high}",
                             high=validation.MAX_PATROL_UNITS)),
                html.Button(_("Draft a plan for the next shift"), id="commander-plan-make", n_clicks=0),
                html.Button(_("Issue this plan"), id="commander-plan-issue", n_clicks=0, disabled=True),
            ], className="control-row"),
            html.Div(id="commander-plan-message", role="status"),
            html.Div(id="commander-plan"),
            dcc.Store(id="commander-plan-shown"),
        ], className="commander-plan"),
        html.Section([html.H2(_("Who gets patrolled, by district (last 28 days)")), html.Div(id="commander-audit"),
                      _audit_terms()], className="commander-audit"),
    ], className="page page-commander")


#: The audit table's columns in one line each (behind a "What the columns mean" toggle).
AUDIT_TERMS = (
    (N_("Share of risk"), N_("the district's share of the city's expected incidents in the forecast")),
    (N_("Planned patrol"), N_("its share of the patrol minutes planned")),
    (N_("Reported patrol"), N_("its share of the patrol minutes units reported")),
    (N_("Public reports"), N_("its share of incidents reported by the public, which patrols do not create")),
    (N_("Flag"), N_("shown when its share of risk, planned patrol or reported patrol is well above its share "
                    "of public reports")),
)


def _audit_terms() -> html.Details:
    items: list = []
    for term, definition in AUDIT_TERMS:
        items += [html.Dt(_(term)), html.Dd(_(definition))]
    return html.Details([html.Summary(_("What the columns mean")), html.Dl(items)], id="commander-audit-terms")


def _none(value: str | None) -> str | None:
    return None if value in (None, ALL) else value


def _audit_table(frame: pd.DataFrame) -> html.Table:
    head = html.Tr([html.Th(_(h), scope="col") for h in (N_("District"), N_("Share of risk"), N_("Planned patrol"),
                                                         N_("Reported patrol"), N_("Public reports"), N_("Flag"))])
    rows = [html.Tr([html.Td(r.district), html.Td(f"{r.risk_share:.1%}"), html.Td(f"{r.attention_share:.1%}"),
                     html.Td(f"{r.dosage_share:.1%}"), html.Td(f"{r.public_share:.1%}"), html.Td(r.reason or "")],
                    className="flagged" if r.flagged else None) for r in frame.itertuples()]
    return html.Table([html.Thead(head), html.Tbody(rows)], id="commander-audit-table")


@callback(
    Output(IDS.values, "data"),
    Output("commander-run", "children"),
    Output("commander-backtest", "children"),
    Output("commander-audit", "children"),
    Input("commander-horizon", "value"),
    Input("commander-type", "value"),
    Input("commander-district", "value"),
)
def show_risk(horizon: str, event_type: str, district: str):
    horizon = inputs.choice(horizon, [h["value"] for h in HORIZONS], "commander-horizon.value")
    event_type = inputs.optional_text(event_type, "commander-type.value", max_chars=100) or ALL
    district = inputs.optional_text(district, "commander-district.value", max_chars=100) or ALL
    ctx = app_context()
    run, rows = risk_service.risk_map(ctx.uow(), resolution=RESOLUTION, horizon=horizon,
                                      event_type=_none(event_type), district=_none(district))
    if run is None:
        message = _("No forecast for this horizon yet: the forecast job makes one every few minutes. "
                    "Choose another horizon or type meanwhile, or ask an administrator to check the System page.")
        return heatmap.align_values(ctx.uow(), RESOLUTION, {}, ctx.cache), message, "", ""
    values = heatmap.align_values(ctx.uow(), RESOLUTION, dict(zip(rows["h3"].tolist(), rows["expected"].tolist())),
                                  ctx.cache)
    audit = risk_service.audit_report(ctx.uow(), run["run_id"])
    values["label"] = "expected incidents"
    caption = (f"Forecast {run['run_id']}: {_hk(run['window_start'])} \u2013 "
               f"{_hk(run['window_end'])} HKT, {rows['expected'].sum():.1f} incidents expected")
    panel = forecast_panel(run, risk_service.forecast_verdict(run, _none(district)), prefix="commander",
                           district_label=_none(district))
    return values, caption, panel, _audit_table(audit)


@callback(
    Output("commander-hex", "children"),
    Input(IDS.selected, "data"),
    State("commander-horizon", "value"),
    State("commander-type", "value"),
)
def show_hex(cell: str | None, horizon: str, event_type: str):
    cell = inputs.optional_cell(cell, f"{IDS.selected}.data")
    horizon = inputs.choice(horizon, [h["value"] for h in HORIZONS], "commander-horizon.value")
    event_type = inputs.optional_text(event_type, "commander-type.value", max_chars=100) or ALL
    if not cell:
        return _("Click a hex for its expected count, rank and why.")
    explained = risk_service.explain_latest_hex(app_context().uow(), str_to_cell(cell), resolution=RESOLUTION,
                                                horizon=horizon, event_type=_none(event_type))
    if explained is None:
        return f"{cell}: no forecast for this hex"
    parts = [html.Li(f"{name}: {value:+.3f}") for name, value in explained["parts"][:5]]
    return html.Div([
        html.Dl([html.Dt(_("Hex")), html.Dd(cell, id="commander-hex-id"),
                 html.Dt(_("Expected incidents")), html.Dd(f"{explained['expected']:.3f}", id="commander-hex-expected"),
                 html.Dt(_("Rank")), html.Dd(_("{rank} of {ranked}", rank=explained['rank'], ranked=explained['ranked']),
                                             id="commander-hex-rank")]),
        html.P(_("Main contributions:")), html.Ul(parts, id="commander-hex-parts"),
    ])


@callback(
    Output("commander-plan-shown", "data"),
    Output("commander-plan-message", "children"),
    *error_outputs(PLAN_FIELDS),
    Input("commander-plan-make", "n_clicks"),
    Input("commander-plan-issue", "n_clicks"),
    State("commander-plan-district", "value"),
    State("commander-plan-units", "value"),
    State("commander-plan-shown", "data"),
    prevent_initial_call=True,
)
def plan_action(_make, _issue, district: str | None, units: int | None, shown: dict | None):
    """Draft a plan, or issue the one shown: the only writes on this page, each on a button press."""
    district = inputs.optional_text(district, "commander-plan-district.value", max_chars=100)
    shown = inputs.mapping(shown, "commander-plan-shown.data")
    shown_id = inputs.optional_int(shown.get("plan_id"), "commander-plan-shown.data", low=1, high=2**62)
    version = inputs.optional_int(shown.get("version"), "commander-plan-shown.data", low=0, high=10**9) or 0
    user = access.current_user()
    context = app_context()
    version += 1
    try:
        if dash.ctx.triggered_id == "commander-plan-issue":
            if shown_id is None:
                return dash.no_update, html.P(_("No plan shown to issue."), className="error"), ""
            patrol_service.issue_plan(context.uow(), shown_id, actor=user.username, at=context.clock().now())
            return ({"plan_id": shown_id, "version": version}, _("Plan {plan} issued: it is in force.", plan=shown_id),
                    "")
        units = validation.patrol_units(units, "commander-plan-units")
        plan_id = patrol_service.draft_next_shift(context.uow(), district=district, units=units,
                                                  created_by=user.username)
    except InputError as exc:
        if lands_on_form(PLAN_FIELDS, exc, PLAN_ALIASES):
            return dash.no_update, "", *messages(PLAN_FIELDS, exc, PLAN_ALIASES)
        return dash.no_update, refused(exc), ""
    return ({"plan_id": plan_id, "version": version},
            _("Plan {plan} drafted: check it, then press Issue to put it in force.", plan=plan_id), "")


@callback(
    Output("commander-plan", "children"),
    Output("commander-plan-issue", "disabled"),
    Input("commander-plan-shown", "data"),
)
def show_plan(shown: dict | None):
    """The plan shown: the one just drafted or issued, else the user's newest draft or the newest issued plan."""
    shown = inputs.mapping(shown, "commander-plan-shown.data")
    plan_id = inputs.optional_int(shown.get("plan_id"), "commander-plan-shown.data", low=1, high=2**62)
    user = access.current_user()
    context = app_context()
    plan_id = plan_id or patrol_service.latest_plan_id(context.uow(), user.username)
    if plan_id is None:
        return _("No plan yet: choose a district and the number of units, then press Draft a plan."), True
    try:
        detail, effect = patrol_service.plan_with_effect(context.uow(), plan_id)
    except patrol_service.PatrolInputError as exc:
        return html.P(str(exc), className="error"), True
    draft = detail["plan"]["status"] != "issued"
    return html.Div([_plan_view(detail), _effect_line(effect)]), not draft


def _effect_line(effect: dict | None) -> html.P:
    """Treated against held-out hexes over the last four weeks' issued plans."""
    if effect is None:
        return html.P("No issued plans in the last 28 days yet: the effect is measured over issued plans.",
                      id="commander-plan-effect")
    t, h = effect["treated"], effect["holdout"]

    def ratio(part: dict) -> str:
        return "n/a" if part["ratio"] is None else f"{part['ratio']:.2f}"

    rr = ("not enough incidents yet for a rate ratio" if effect["rate_ratio"] is None else
          f"rate ratio {effect['rate_ratio']:.2f} (95% {effect['rate_ratio_95'][0]:.2f}-{effect['rate_ratio_95'][1]:.2f})")
    return html.P(
        f"Effect over {len(effect['plans'])} plan(s) in the last 28 days: public reports / forecast "
        f"{ratio(t)} in {t['hexes']} patrolled hexes ({t['dosage_min']:.0f} min reported) against {ratio(h)} "
        f"in {h['hexes']} held-out hexes ({h['dosage_min']:.0f} min); {rr}.", id="commander-plan-effect")


def _plan_view(detail: dict) -> html.Div:
    plan, visits, hexes = detail["plan"], detail["visits"], detail["hexes"]
    pid = plan["plan_id"]
    tours = []
    for unit, tour in visits.groupby("unit"):
        stops = "; ".join(f"{_hk(v.planned_start)[-5:]} {getattr(v, 'place', '') or cell_to_str(v.h3)}"
                          for v in tour.itertuples())
        tours.append(html.Li(f"Unit {int(unit) + 1} ({len(tour)} visits): {stops}"))
    held = int((hexes["role"] == "holdout").sum())
    status = (html.Span("DRAFT (not in force)", className="plan-status plan-draft") if plan["status"] != "issued"
              else html.Span(f"ISSUED by {plan['issued_by']} at {_hk(plan['issued_at'])}",
                             className="plan-status plan-issued"))
    return html.Div([
        html.P(status, id="commander-plan-status"),
        html.P(f"Plan {pid}: district {plan['district_code']}, {plan['units']} unit(s), "
               f"{_hk(plan['shift_start'])} \u2013 {_hk(plan['shift_end'])} HKT; {len(visits)} visits of 12-16 min "
               f"to {visits['h3'].nunique()} hexes in random order; {held} high-risk hexes held out for "
               f"measuring the effect; {plan['objective']:.2f} expected incidents covered.", id="commander-plan-summary"),
        dcc.Graph(figure=_tour_figure(detail), id="commander-plan-map", config={"displayModeBar": False}),
        html.Ul(tours, id="commander-plan-tours"),
        html.P([html.A("CSV", href=f"/api/v1/patrol/plans/{pid}.csv"), " \u00b7 ",
                html.A("GeoJSON", href=f"/api/v1/patrol/plans/{pid}.geojson"), " \u00b7 ",
                html.A("Printable", href=f"/api/v1/patrol/plans/{pid}/print", target="_blank")]),
    ])


def _tour_figure(detail: dict) -> go.Figure:
    """Each unit's tour from its base and back (lon/lat, EPSG:4326), held-out hexes as crosses."""
    visits, bases = detail["visits"], detail["bases"].set_index("unit")
    fig = go.Figure()
    for unit, tour in visits.groupby("unit"):
        base = bases.loc[unit]
        fig.add_trace(go.Scatter(
            x=[base.lon, *tour["lon"], base.lon], y=[base.lat, *tour["lat"], base.lat], mode="lines+markers",
            name=f"unit {int(unit) + 1}", line={"width": 1}, marker={"size": 5}))
    hexes = detail["hexes"]
    held = hexes[hexes["role"] == "holdout"]["h3"].tolist()
    if held:
        centres = [h3i.cell_to_latlng(int(h)) for h in held]
        fig.add_trace(go.Scatter(x=[c[1] for c in centres], y=[c[0] for c in centres], mode="markers",
                                 name="held out", marker={"symbol": "x", "size": 8, "color": "#aaaaaa"}))
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 10, "b": 10}, template="plotly_dark",
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                      xaxis={"visible": False}, yaxis={"visible": False, "scaleanchor": "x",
                                                       "scaleratio": 1 / np.cos(np.radians(22.3))})
    return fig
