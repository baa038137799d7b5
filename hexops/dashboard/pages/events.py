"""The event manager's page: live crowd map, zone panel, alerts grouped by place, any moment in the data.

The map's hex geometry (H3 resolution 10) is fetched once by the browser;
every 5 s only the densities travel.  "Now" is the product clock (the
scenario time in a demo replay); the time control jumps to any moment
(kept in the URL as ``?at=``).  Alerts are grouped by event zone or
district, worst first, and acknowledged with a note, one by one or in bulk.
Viewing changes nothing: the alert machine is stepped by the background jobs.
"""

from __future__ import annotations


import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html

from hexops.dashboard import access, inputs
from hexops.errors import InputError
from hexops.dashboard.components.alerts import alert_panel, register_alert_actions, render_alerts, selected_ids
from hexops.dashboard.components.display import hk_time
from hexops.dashboard.components.forms import error_outputs, field, lands_on_form, messages, refused, text_input
from hexops.dashboard.i18n import N_, _
from hexops.services import validation
from hexops.dashboard.components.hexmap import hex_map, hexmap_ids, register_hex_map
from hexops.dashboard.components import zone_panel
from hexops.dashboard.components.timecontrol import register_time_control, time_control
from hexops.dashboard.context import app_context
from hexops.services import alert_handling, crowd, crowd_zones, heatmap
from hexops.services.clock import time_shown

dash.register_page(
    __name__,
    path="/events",
    name="Events",
    allowed_roles=["event_manager", "commander", "admin"],
    id_prefix="crowd",
)

IDS = hexmap_ids("crowd")
register_hex_map("crowd", drawing=True, zones=True)
register_time_control("crowd")
register_alert_actions("crowd", "crowd", IDS.focus)
zone_panel.register_zone_editor("crowd", "crowd-zones-changed")
#: Alerts open at any time in these hours before the time shown are listed.
ALERT_HOURS = 6
REFRESH_MS = 5000


def _hk(moment) -> str:
    return hk_time(moment, "%d %b %H:%M")


def layout(at: str | None = None, **_query) -> html.Div:
    """``?at=2026-10-01T21:00+08:00`` opens the page at that time (a shareable replay link)."""
    return html.Div(
        [
            html.Div(
                [
                    html.H1(_("Crowds"), className="page-title"),
                    html.Div(id="crowd-asof", className="asof", role="status"),
                    time_control("crowd", at),
                ],
                className="map-controls",
            ),
            html.Div(
                [
                    hex_map("crowd", resolutions=(10,), colors="heat", show_districts=True,
                            tile_url=app_context().settings.tile_url, height="calc(100vh - 220px)",
                            drawing=True, zones=True),
                    html.Aside(
                        [html.H2(_("Zones")), _draw_panel(), zone_panel.zone_editor("crowd"),
                         zone_panel.sort_control("crowd"),
                         # The table scrolls sideways, so it takes keyboard focus to be scrolled without a mouse.
                         html.Div(id="crowd-zones", className="crowd-table-wrap", tabIndex="0", role="region",
                                  **{"aria-label": _("Zones")}),
                         alert_panel("crowd", _("Alerts"))],
                        className="map-side crowd-side",
                    ),
                ],
                className="map-body",
            ),
            dcc.Interval(id="crowd-tick", interval=REFRESH_MS),
            dcc.Store(id="crowd-zones-changed", data=0),
        ],
        className="page page-events",
    )


def _draw_panel() -> html.Div:
    """Draw a zone: the toggle, its name and capacity, Save and Cancel (the map draws, the service validates)."""
    return html.Div(
        [
            html.Button(_("Draw zone"), id="crowd-draw-toggle", className="draw-button"),
            field("crowd-draw-name", _("Zone name"), text_input("crowd-draw-name"),
                  hint=_("Up to {n} characters", n=validation.MAX_NAME_CHARS)),
            field("crowd-draw-capacity", _("Capacity (people)"), text_input("crowd-draw-capacity", inputMode="numeric"),
                  hint=_("People it holds safely: a whole number from 1 to {high}",
                         high=validation.MAX_ZONE_CAPACITY)),
            html.Div(id="crowd-draw-polygon-error", className="field-error", role="alert"),
            html.Button(_("Save"), id="crowd-draw-save"),
            html.Button(_("Cancel"), id="crowd-draw-cancel"),
            html.Div(id="crowd-draw-status", role="status", className="muted"),
        ],
        id="crowd-draw", className="crowd-draw",
    )


@callback(
    Output(IDS.values, "data"),
    Output("crowd-zones", "children"),
    Output("crowd-alerts", "children"),
    Output("crowd-asof", "children"),
    Output(IDS.zones, "data"),
    Input("crowd-tick", "n_intervals"),
    Input("crowd-at", "data"),
    Input("crowd-acked", "data"),
    Input("crowd-zones-changed", "data"),
    Input("crowd-zone-sort", "value"),
    State({"type": "crowd-ack-select", "alert": ALL}, "value"),
)
def refresh(_tick, pinned, _acked, _zones_changed, sort, ticked):
    pinned = inputs.optional_time(pinned, "crowd-at.data") and pinned
    sort = inputs.choice(sort, zone_panel.SORTS, "crowd-zone-sort.value", default="occupancy")
    selected = selected_ids(ticked, "crowd-ack-select.value")
    context = app_context()
    at, mode = time_shown(context.clock().now(), None, pinned)
    view = crowd.event_view(context.read_uow(), at, context.settings, hours=ALERT_HOURS, cache=context.cache)
    if view is None:
        return (None, html.P(_("No camera counts have arrived yet: the map and zones fill in as cameras report. "
                              "Meanwhile you can draw a zone."), className="muted empty-state"), html.P(""),
                _("No data yet"), None)
    values = heatmap.align_values(context.read_uow(), crowd.CROWD_RESOLUTION, view.hex_density, context.cache)
    values.update(label="people per m\u00b2 of visible ground", domain=[0.0, max(view.thresholds)])
    # Alerts and their acknowledgements from the primary: an acknowledgement just made must show at once.
    groups = alert_handling.crowd_groups(context.uow(), at, view.thresholds, hours=ALERT_HOURS)
    alerts = render_alerts("crowd", groups, selected, _("No crowd alerts in the last hours."))
    caption = f"As of {_hk(at)} HKT ({mode}; latest data {_hk(view.latest)})"
    zones = zone_panel.map_zones(context.uow(), view.panel)
    return values, zone_panel.zone_table("crowd", view.panel, view.thresholds, sort), alerts, caption, zones


DRAW_FIELDS = ["crowd-draw-name", "crowd-draw-capacity", "crowd-draw-polygon"]
DRAW_ALIASES = {"name": "crowd-draw-name", "capacity": "crowd-draw-capacity", "polygon": "crowd-draw-polygon"}
_DRAW_HINT = N_("Drawing: click the map to add corners; double-click or click the first corner to close.")


@callback(
    Output(IDS.draw_mode, "data"),
    Output(IDS.drawn, "data"),
    Output("crowd-draw-status", "children"),
    Output("crowd-zones-changed", "data"),
    *error_outputs(DRAW_FIELDS),
    Input("crowd-draw-toggle", "n_clicks"),
    Input("crowd-draw-cancel", "n_clicks"),
    Input("crowd-draw-save", "n_clicks"),
    State("crowd-draw-name", "value"),
    State("crowd-draw-capacity", "value"),
    State(IDS.drawn, "data"),
    State(IDS.draw_mode, "data"),
    State("crowd-zones-changed", "data"),
    prevent_initial_call=True,
)
def draw_zone(_toggle, _cancel, _save, name, capacity, ring, mode, changed):
    """Switch the map's draw mode, discard a drawing, or save it as a zone through the crowd service."""
    ring = inputs.ring(ring, f"{IDS.drawn}.data")
    changed = inputs.optional_int(changed, "crowd-zones-changed.data", low=0, high=10**9)
    mode = bool(mode)
    keep = dash.no_update
    clear = messages(DRAW_FIELDS)
    trigger = ctx.triggered_id
    if trigger == "crowd-draw-toggle":
        # Turning the mode off (or on again) starts from a clean ring, so a stale one is never saved.
        return (not mode), None, (_(_DRAW_HINT) if not mode else ""), keep, *clear
    if trigger == "crowd-draw-cancel":
        return False, None, _("Drawing discarded."), keep, *clear
    user = access.current_user()
    try:
        # The drawing first, then the form's fields (each refusal beside its field), then the service's checks.
        if not ring:
            raise validation.FieldError("crowd-draw-polygon", validation.N_(
                "Draw the zone on the map first: press Draw zone, click its corners, then close it."))
        name = validation.zone_name(name, "crowd-draw-name")
        capacity = validation.zone_capacity(capacity, "crowd-draw-capacity")
        zone_id = crowd_zones.save_drawn_zone(app_context().uow(), name, capacity, ring, user.username)
    except InputError as err:
        if lands_on_form(DRAW_FIELDS, err, DRAW_ALIASES):
            return keep, keep, "", keep, *messages(DRAW_FIELDS, err, DRAW_ALIASES)
        return keep, keep, refused(err), keep, *clear
    return False, None, _("Saved zone {name}.", name=name), (changed or 0) + 1, *clear
