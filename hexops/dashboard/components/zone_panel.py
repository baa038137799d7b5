"""The Events page's zone panel: a sortable table of zones, their editor, and their map document.

The table shows each zone's people (with the band), share of capacity,
density, level of service and the time until each alert threshold, in hours
and minutes.  The editor renames a zone, sets its capacity or deletes it
(after a confirmation) through :mod:`hexops.services.event_zones`, which
audits each change.  Ids start with the page's ``id_prefix``.
"""

from __future__ import annotations

import math

import dash
import numpy as np
from dash import Input, Output, State, callback, ctx, dcc, html

from hexops.dashboard import access, inputs
from hexops.dashboard.components.hexmap import LOS_COLOURS
from hexops.dashboard.context import app_context
from hexops.errors import HexopsError
from hexops.services import event_zones

#: Times to a threshold beyond this (minutes) read "not within 2 h": the projection is the
#: trend of the last 10 minutes carried forward, which says nothing useful hours ahead.
HORIZON_MIN = 120
#: Sort orders offered: label, panel column, descending first.
SORTS = {
    "occupancy": ("Share of capacity", "occupancy_pct", True),
    "density": ("Density", "density", True),
    "eta": ("Soonest threshold", "_soonest", False),
    "name": ("Name", "name", False),
}


def format_eta(minutes: float | None, horizon_min: float = HORIZON_MIN) -> str:
    """A time to threshold as people read it: ``"now"``, ``"45 min"``, ``"1 h 25 min"``, ``"not within 2 h"``."""
    if minutes is None or (isinstance(minutes, float) and math.isnan(minutes)):
        return "\u2013"
    if minutes <= 0:
        return "now"
    if math.isinf(minutes) or minutes > horizon_min:
        return f"not within {horizon_min // 60:g} h" if horizon_min % 60 == 0 else f"not within {horizon_min:g} min"
    whole = int(round(minutes))
    hours, mins = divmod(whole, 60)
    return f"{mins} min" if hours == 0 else (f"{hours} h" if mins == 0 else f"{hours} h {mins} min")


def sort_panel(panel, thresholds, sort: str):
    """``panel`` ordered by one of :data:`SORTS` (unknown sorts fall back to occupancy); no data last."""
    _, column, descending = SORTS.get(sort, SORTS["occupancy"])
    panel = panel.copy()
    etas = [f"eta_{t:g}" for t in thresholds if f"eta_{t:g}" in panel]
    panel["_soonest"] = panel[etas].min(axis=1) if etas else np.nan
    key = panel[column]
    if column == "name":
        key = key.astype(str).str.lower()
    return panel.assign(_key=key).sort_values("_key", ascending=not descending, na_position="last",
                                              kind="stable").drop(columns=["_key"])


def zone_table(prefix: str, panel, thresholds: tuple[float, ...], sort: str = "occupancy") -> html.Table:
    """The zone table, sorted; each row's id is ``<prefix>-zone-<zone_id>``."""
    _, column, descending = SORTS.get(sort, SORTS["occupancy"])
    headers = [("Zone", "name"), ("People", None), ("of capacity", "occupancy_pct"), ("p/m\u00b2", "density"),
               ("LOS", None), ("Time to p/m\u00b2", "_soonest")]
    head = html.Tr([html.Th(h, scope="col", **({"aria-sort": "descending" if descending else "ascending"}
                                               if col == column else {})) for h, col in headers])
    rows = []
    for zone_id, z in sort_panel(panel, thresholds, sort).iterrows():
        sat = [html.Br(), html.Span(f"{int(z['n_saturated'])} camera(s) saturated", className="saturated")] \
            if z.get("n_saturated") else []
        band = "" if np.isnan(z["people_low"]) else f"{z['people_low']:,.0f}\u2013{z['people_high']:,.0f}"
        los = z["los"] if isinstance(z["los"], str) else "\u2013"
        rows.append(html.Tr([
            html.Td([html.Span(z["name"], title=f"{zone_id}: {z['covered_fraction']:.0%} of the zone seen"), *sat]),
            html.Td([f"{z['people']:,.0f}" if not np.isnan(z["people"]) else "no data", html.Br(),
                     html.Small(band, className="muted")]),
            html.Td(f"{z['occupancy_pct']:.0f}%" if not np.isnan(z["occupancy_pct"]) else "\u2013"),
            html.Td(f"{z['density']:.2f}" if not np.isnan(z["density"]) else "no data"),
            html.Td(los, className="los", style={"background": LOS_COLOURS.get(los, "#555"),
                                                   "color": "#000" if los in "DEF" else "#fff"}),
            html.Td(_etas(z, thresholds), className="etas"),
        ], id=f"{prefix}-zone-{zone_id}"))
    return html.Table([html.Thead(head), html.Tbody(rows)], className="crowd-table", id=f"{prefix}-zone-table")


def _etas(zone, thresholds) -> list:
    """One line per threshold: ``"4: 1 h 25 min"`` (people/m2: time until the zone reaches it)."""
    lines = []
    for t in thresholds:
        if lines:
            lines.append(html.Br())
        lines.append(html.Span([html.B(f"{t:g}"), f": {format_eta(zone[f'eta_{t:g}'])}"]))
    return lines


def map_zones(uow, panel) -> dict:
    """The zones document for the map, each zone with its level of service's colour."""
    doc = event_zones.map_document(uow, panel)
    for zone in doc["zones"]:
        zone["colour"] = LOS_COLOURS.get(zone["los"] or "", "#9aa7b5")
    return doc


def sort_control(prefix: str) -> html.Div:
    return html.Div([
        html.Label("Sort zones by", htmlFor=f"{prefix}-zone-sort", className="control-label"),
        dcc.Dropdown(id=f"{prefix}-zone-sort", options=[{"label": v[0], "value": k} for k, v in SORTS.items()],
                     value="occupancy", clearable=False, searchable=False, className="zone-sort"),
    ], className="control zone-sort-control")


def zone_editor(prefix: str) -> html.Details:
    """Rename a zone, change its capacity or delete it (the delete asks first)."""
    return html.Details([
        html.Summary("Edit or delete a zone"),
        html.Div([
            html.Label("Zone", htmlFor=f"{prefix}-edit-zone", className="visually-hidden"),
            dcc.Dropdown(id=f"{prefix}-edit-zone", placeholder="Choose a zone", options=[], clearable=False),
            html.Label("New name", htmlFor=f"{prefix}-edit-name", className="visually-hidden"),
            dcc.Input(id=f"{prefix}-edit-name", type="text", placeholder="Name", maxLength=200),
            html.Label("Capacity (people)", htmlFor=f"{prefix}-edit-capacity", className="visually-hidden"),
            dcc.Input(id=f"{prefix}-edit-capacity", type="number", min=1, step=1, placeholder="Capacity (people)"),
            html.Button("Save changes", id=f"{prefix}-edit-save", type="button"),
            dcc.ConfirmDialogProvider(
                html.Button("Delete zone", type="button", className="button-danger"),
                id=f"{prefix}-edit-delete",
                message="Delete this zone? Its open alerts are cleared; past alerts stay in the history."),
        ], className="zone-editor"),
        html.Div(id=f"{prefix}-edit-status", role="status"),
    ], className="zone-edit")


def register_zone_editor(prefix: str, changed_store: str) -> None:
    """The editor's callbacks: fill the zone list, prefill a chosen zone, save, delete.

    ``changed_store`` is the page's counter of zone changes (the table and the map refresh on it).
    """

    @callback(Output(f"{prefix}-edit-zone", "options"), Input(changed_store, "data"))
    def zone_options(changed):
        inputs.optional_int(changed, f"{changed_store}.data", low=0, high=10**9)
        zones = event_zones.list_zones(app_context().uow())
        return [{"label": f"{z['name']} ({z['zone_id']})", "value": z["zone_id"]} for z in zones]

    @callback(Output(f"{prefix}-edit-name", "value"), Output(f"{prefix}-edit-capacity", "value"),
              Input(f"{prefix}-edit-zone", "value"), prevent_initial_call=True)
    def prefill(zone_id):
        zone_id = inputs.optional_text(zone_id, f"{prefix}-edit-zone.value", max_chars=64)
        zone = event_zones.get_zone(app_context().uow(), zone_id) if zone_id else None
        return (zone["name"], zone["capacity"]) if zone else ("", None)

    @callback(Output(f"{prefix}-edit-status", "children"), Output(changed_store, "data", allow_duplicate=True),
              Input(f"{prefix}-edit-save", "n_clicks"), Input(f"{prefix}-edit-delete", "submit_n_clicks"),
              State(f"{prefix}-edit-zone", "value"), State(f"{prefix}-edit-name", "value"),
              State(f"{prefix}-edit-capacity", "value"), State(changed_store, "data"),
              prevent_initial_call=True)
    def save_or_delete(_save, _delete, zone_id, name, capacity, changed):
        zone_id = inputs.optional_text(zone_id, f"{prefix}-edit-zone.value", max_chars=64)
        name = inputs.optional_text(name, f"{prefix}-edit-name.value", max_chars=400)
        if isinstance(capacity, bool) or (capacity is not None and not isinstance(capacity, (int, float, str))):
            capacity = "?"
        changed = inputs.optional_int(changed, f"{changed_store}.data", low=0, high=10**9) or 0
        user, context = access.current_user(), app_context()
        try:
            if ctx.triggered_id == f"{prefix}-edit-delete":
                gone = event_zones.delete_zone(context.uow(), zone_id, actor=user.username, at=context.clock().now())
                return f"Deleted zone {gone['name']}.", changed + 1
            saved = event_zones.update_zone(context.uow(), zone_id, name, capacity, actor=user.username)
        except HexopsError as err:
            return html.Span(str(err), className="error"), dash.no_update
        return f"Saved {saved['name']}: capacity {saved['capacity']:,} people.", changed + 1
