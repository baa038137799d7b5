"""The Drainage page: flood map, flood alerts grouped by district, rainfall and crew assignments.

Built for the Drainage Services Department: it reads flood layers only
(states, transitions, rain, crews), so a partner granted ``flood_alerts``
sees everything here and nothing else; the one thing it writes is an
acknowledgement of a flood alert (with a note), audited.  Hex geometry (H3
resolution 9) is fetched once; each refresh sends state codes only.  "Now"
is the product clock (the scenario time in a demo replay); the time control
jumps to any moment (kept in the URL as ``?at=``).  Times are shown in Hong
Kong time.
"""

from __future__ import annotations


import dash
from dash import ALL, Input, Output, State, callback, dcc, html

from hexops.analytics.flood import STATES
from hexops.dashboard import access, inputs
from hexops.dashboard.components.alerts import alert_panel, register_alert_actions, render_alerts, selected_ids
from hexops.dashboard.components.display import hk_time
from hexops.dashboard.components.hexmap import FLOOD_STATES, hex_map, hexmap_ids, register_hex_map
from hexops.dashboard.components.timecontrol import register_time_control, time_control
from hexops.dashboard.context import app_context
from hexops.dashboard.i18n import N_, _
from hexops.services import alert_handling, flood, flood_views, heatmap, sharing
from hexops.services.clock import time_shown

dash.register_page(
    __name__,
    path="/drainage",
    name="Drainage",
    allowed_roles=["partner", "commander", "admin"],
    layers=["flood_alerts"],
    id_prefix="drainage",
)

IDS = hexmap_ids("drainage")
register_hex_map("drainage")
register_time_control("drainage")
register_alert_actions("drainage", "flood", IDS.focus)
#: Flood alerts of these hours before the time shown are listed.
ALERT_HOURS = 6
REFRESH_MS = 5000
#: normal, watch, warning, flooded, receding: colour-blind-safe (see hexmap.FLOOD_STATES).
STATE_COLOURS = FLOOD_STATES


def _hk(moment) -> str:
    return hk_time(moment, "%d %b %H:%M")


def layout(at: str | None = None, **_query) -> html.Div:
    """``?at=2026-10-02T16:00+08:00`` opens the page at that time (a shareable replay link)."""
    return html.Div(
        [
            html.Div(
                [
                    html.H1(_("Drainage: floods"), className="page-title"),
                    html.Div(id="drainage-asof", className="asof", role="status"),
                    html.Div(id="drainage-signal", className="rain-signal"),
                    time_control("drainage", at),
                ],
                className="map-controls",
            ),
            html.Div(
                [
                    hex_map("drainage", resolutions=(9,), colors=STATE_COLOURS, show_districts=True,
                            tile_url=app_context().settings.tile_url, height="calc(100vh - 220px)"),
                    html.Aside(
                        [html.H2(_("Crew assignments")), html.Div(id="drainage-crews"),
                         alert_panel("drainage", _("Flood alerts")),
                         html.H2(_("Rainfall (mm/h)")), html.Div(id="drainage-rain")],
                        className="map-side drainage-side",
                    ),
                ],
                className="map-body",
            ),
            dcc.Interval(id="drainage-tick", interval=REFRESH_MS),
        ],
        className="page page-drainage",
    )


def _named(place: str | None, code: str) -> list:
    """A place name first, its code (gauge id or H3 id) as a detail beneath."""
    if not place:
        return [code]
    return [place, html.Br(), html.Small(code, className="muted code-detail")]


def _rain(frame) -> html.Table:
    rows = [html.Tr([html.Td(_named(getattr(r, "place", None), r.station_id)), html.Td(f"{r.mm_per_h:.1f}"),
                     html.Td(r.rainstorm or "")])
            for r in frame.head(12).itertuples()]
    return html.Table([html.Thead(html.Tr([html.Th(_("Gauge")), html.Th(_("mm/h")), html.Th(_("HKO level"))])),
                       html.Tbody(rows)], className="rain-table")


def _crews(frame, show_cameras: bool) -> html.Div:
    if frame.empty:
        return html.P(_("No flooded places: no crew deployed."), className="muted")
    rows = [html.Tr([html.Td(c.crew_id or "unassigned"), html.Td(_named(getattr(c, "place", None), c.hex)),
                     html.Td("on site / next" if c.order == 0 else (f"then #{int(c.order) + 1}"
                                                                     if c.order == c.order else "waiting")),
                     html.Td("\u2013" if c.eta_min != c.eta_min else f"{c.eta_min:.0f} min"),
                     # Severity counts the cameras seeing water: with the rain it gives their number.
                     html.Td(f"{c.severity:.1f}" if show_cameras else "\u2013")])
            for c in frame.itertuples()]
    return html.Table([html.Thead(html.Tr([html.Th(_(h)) for h in (N_("Crew"), N_("Where"), N_("Job"), N_("ETA"),
                                                                   N_("Severity"))])),
                       html.Tbody(rows)], className="crew-table", id="drainage-crew-table")


@callback(
    Output(IDS.values, "data"),
    Output("drainage-alerts", "children"),
    Output("drainage-rain", "children"),
    Output("drainage-crews", "children"),
    Output("drainage-signal", "children"),
    Output("drainage-asof", "children"),
    Input("drainage-tick", "n_intervals"),
    Input("drainage-at", "data"),
    Input("drainage-acked", "data"),
    State({"type": "drainage-ack-select", "alert": ALL}, "value"),
)
def refresh(_tick, pinned, _acked, ticked):
    pinned = inputs.optional_time(pinned, "drainage-at.data") and pinned
    selected = selected_ids(ticked, "drainage-ack-select.value")
    context = app_context()
    latest = flood_views.data_end(context.read_uow())
    if latest is None:
        return (None, html.P(_("No rain or camera readings have arrived yet: the map fills in as they report."),
                          className="muted empty-state"), "", "", "", _("No data yet"))
    now = context.clock().now()
    at, mode = time_shown(now, None, pinned)
    # Rain readings may be known ahead (a demo loads them up front): never show past the clock.
    latest = min(latest, now)
    view = flood_views.drainage_view(context.read_uow(), at, cache=context.cache)
    # A partner's read of the flood picture is on record (a moment shown at a time): written on the primary.
    sharing.record_view_read(context.uow(), access.current_user(), "/drainage", pinned, cache=context.cache)
    # Camera counts and positions only for readers who may know where cameras are (issue 10).
    show_cameras = sharing.reveals_cameras(access.current_user())
    # Alerts and their acknowledgements from the primary: an acknowledgement just made must show at once.
    groups = alert_handling.flood_groups(context.uow(), at, hours=ALERT_HOURS, reveal_cameras=show_cameras)
    alerts = render_alerts("drainage", groups, selected, _("No flood alerts in the last hours."))
    values = heatmap.align_values(context.read_uow(), flood.FLOOD_RESOLUTION,
                                  {h: float(s) for h, s in view.states.items()}, context.cache)
    # Flooded cells are outlined as well as coloured, so they stand out among many "watch" hexes.
    values.update(label="flood state", domain=[0, len(STATES) - 1], labels=list(STATES),
                  critical=[STATES.index("flooded")])
    # The HKO signal colour on a light strip (hexmap.css): black rain is never black on the dark theme.
    signal = (html.Span(f"{view.signal.upper()} RAINSTORM", className=f"signal signal-{view.signal}", role="alert")
              if view.signal else _("No rainstorm signal"))
    caption = f"As of {_hk(at)} HKT ({mode}; latest data {_hk(latest)})"
    return values, alerts, _rain(view.rain), _crews(view.crews, show_cameras), signal, caption
