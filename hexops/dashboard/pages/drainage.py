"""The Drainage page: flood map, flood alerts, rainfall and crew assignments.

Built for the Drainage Services Department: it reads flood layers only
(states, transitions, rain, crews), so a partner granted ``flood_alerts``
sees everything here and nothing else.  Hex geometry (H3 resolution 9) is
fetched once; each refresh sends state codes only.  Times are the data's
(historical in the demo), shown in Hong Kong time.
"""

from __future__ import annotations


import dash
from dash import Input, Output, State, callback, dcc, html

from hexops.analytics.flood import STATES
from hexops.errors import InputError
from hexops.dashboard import access, inputs
from hexops.dashboard.components.display import hk_time, replay_slider
from hexops.dashboard.components.hexmap import hex_map, hexmap_ids, register_hex_map
from hexops.dashboard.context import app_context
from hexops.services import flood, flood_views, heatmap, sharing
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
REPLAY_HOURS = 24
REFRESH_MS = 5000
#: normal, watch, warning, flooded, receding.
STATE_COLOURS = ["#3b4654", "#f2c94c", "#f2994a", "#eb2f2f", "#56ccf2"]
_SIGNAL_COLOURS = {"amber": "#ffbf00", "red": "#e53935", "black": "#111111"}


def _hk(moment) -> str:
    return hk_time(moment, "%d %b %H:%M")


def layout(at: str | None = None, **_query) -> html.Div:
    """``?at=2026-10-02T16:00+08:00`` opens the page at that time (a shareable replay link)."""
    return html.Div(
        [
            html.Div(
                [
                    html.H1("Drainage: floods", className="page-title"),
                    html.Div(id="drainage-asof", className="asof"),
                    html.Div(id="drainage-signal", className="rain-signal"),
                    replay_slider("drainage", REPLAY_HOURS, mark_every_min=180),
                ],
                className="map-controls",
            ),
            html.Div(
                [
                    hex_map("drainage", resolutions=(9,), colors=STATE_COLOURS, show_districts=True,
                            tile_url=app_context().settings.tile_url, height="calc(100vh - 220px)"),
                    html.Aside(
                        [html.H2("Crew assignments"), html.Div(id="drainage-crews"),
                         html.H2("Flood alerts"), html.Div(id="drainage-alerts"),
                         html.H2("Rainfall (mm/h)"), html.Div(id="drainage-rain")],
                        className="map-side drainage-side",
                    ),
                ],
                className="map-body",
            ),
            dcc.Interval(id="drainage-tick", interval=REFRESH_MS),
            dcc.Store(id="drainage-pinned", data=_valid_at(at)),
        ],
        className="page page-drainage",
    )


def _valid_at(at: str | None) -> str | None:
    """``?at=`` when it is a time with an offset; a broken link opens the live page instead."""
    try:
        return at if inputs.optional_time(at, "at") else None
    except InputError:
        return None


def _evidence(t, show_cameras: bool) -> str:
    # Camera counts (and the reasons that state them) only for readers who may know where
    # cameras are: a partner without camera_positions sees the rain and the place (issue 10).
    cameras = (f"{t.reason} \u00b7 {t.evidence.get('n_flooded', 0)} cameras flooded, "
               f"{t.evidence.get('n_wet', 0)} wet, ") if show_cameras else ""
    return (f" \u00b7 {cameras}rain {t.evidence.get('rain_mm_h', 0)} mm/h"
            + (" \u00b7 low-lying" if t.evidence.get("low_lying") else ""))


def _alerts(frame, show_cameras: bool) -> html.Div:
    if frame.empty:
        return html.P("No flood state changes in the last hours.", className="muted")
    items = [html.Li([
        html.Span(f"{_hk(t.at)} ", className="when"),
        html.Strong(f"{t.hex}: {t.from_state} \u2192 {t.to_state}"),
        html.Span(_evidence(t, show_cameras)),
    ], className=f"flood-alert flood-{t.to_state}") for t in frame.head(40).itertuples()]
    return html.Ul(items, className="alert-list", id="drainage-alert-list")


def _rain(frame) -> html.Table:
    rows = [html.Tr([html.Td(r.station_id), html.Td(f"{r.mm_per_h:.1f}"), html.Td(r.rainstorm or "")])
            for r in frame.head(12).itertuples()]
    return html.Table([html.Thead(html.Tr([html.Th("Gauge"), html.Th("mm/h"), html.Th("HKO level")])),
                       html.Tbody(rows)], className="rain-table")


def _crews(frame, show_cameras: bool) -> html.Div:
    if frame.empty:
        return html.P("No flooded hexes: no crew deployed.", className="muted")
    rows = [html.Tr([html.Td(c.crew_id or "unassigned"), html.Td(c.hex),
                     html.Td("on site / next" if c.order == 0 else (f"then #{int(c.order) + 1}"
                                                                     if c.order == c.order else "waiting")),
                     html.Td("\u2013" if c.eta_min != c.eta_min else f"{c.eta_min:.0f} min"),
                     # Severity counts the cameras seeing water: with the rain it gives their number.
                     html.Td(f"{c.severity:.1f}" if show_cameras else "\u2013")])
            for c in frame.itertuples()]
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in ("Crew", "Hex", "Job", "ETA", "Severity")])),
                       html.Tbody(rows)], className="crew-table", id="drainage-crew-table")


@callback(
    Output(IDS.values, "data"),
    Output("drainage-alerts", "children"),
    Output("drainage-rain", "children"),
    Output("drainage-crews", "children"),
    Output("drainage-signal", "children"),
    Output("drainage-asof", "children"),
    Input("drainage-tick", "n_intervals"),
    Input("drainage-replay", "value"),
    State("drainage-pinned", "data"),
)
def refresh(_tick, replay_min, pinned):
    replay_min = inputs.optional_int(replay_min, "drainage-replay.value", low=-REPLAY_HOURS * 60, high=0)
    pinned = inputs.optional_time(pinned, "drainage-pinned.data") and pinned
    context = app_context()
    latest = flood_views.data_end(context.uow())
    if latest is None:
        return None, html.P("No data yet."), "", "", "", "No data yet"
    at, mode = time_shown(context.clock().now(), replay_min, pinned)
    view = flood_views.drainage_view(context.uow(), at)
    values = heatmap.align_values(context.uow(), flood.FLOOD_RESOLUTION,
                                  {h: float(s) for h, s in view.states.items()}, context.cache)
    values.update(label="flood state", domain=[0, len(STATES) - 1], labels=list(STATES))
    signal = (html.Span(f"{view.signal.upper()} RAINSTORM", className="signal",
                        style={"background": _SIGNAL_COLOURS[view.signal]}) if view.signal else "No rainstorm signal")
    caption = f"As of {_hk(at)} HKT ({mode}; latest data {_hk(latest)})"
    show_cameras = sharing.reveals_cameras(access.current_user())
    return (values, _alerts(view.alerts, show_cameras), _rain(view.rain), _crews(view.crews, show_cameras), signal,
            caption)
