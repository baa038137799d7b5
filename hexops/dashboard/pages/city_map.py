"""The city map (home page): hexes coloured by a metric over a time window.

Times on screen are Asia/Hong_Kong; the window is sent to the database in
UTC.  The map itself is :func:`dashboard.components.hexmap.hex_map`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import dash
from dash import Input, Output, callback, clientside_callback, dcc, html

from hexops.dashboard import inputs
from hexops.dashboard.components.display import hk_time
from hexops.dashboard.components.hexmap import SCALES, hex_map, hexmap_ids, register_hex_map
from hexops.dashboard.context import app_context
from hexops.dashboard.i18n import N_, _
from hexops.services import heatmap

dash.register_page(
    __name__,
    path="/",
    name="City map",
    allowed_roles=["commander", "event_manager", "admin"],
    id_prefix="map",
)

IDS = hexmap_ids("map")
register_hex_map("map")

_WINDOWS = {"1h": timedelta(hours=1), "3h": timedelta(hours=3), "24h": timedelta(hours=24),
            "7d": timedelta(days=7)}
_METRIC_CHOICES = [
    {"label": N_("People"), "value": "people"},
    {"label": N_("Vehicles"), "value": "vehicles"},
    {"label": N_("Water"), "value": "water"},
    {"label": N_("Incidents"), "value": "incidents"},
]


def _control(label: str, control) -> html.Div:
    return html.Div([html.Label(label, className="control-label"), control], className="control")


def layout(**_query) -> html.Div:
    tile_url = app_context().settings.tile_url
    return html.Div(
        [
            html.Div(
                [
                    _control(_("Metric"), dcc.RadioItems(
                        [{"label": _(c["label"]), "value": c["value"]} for c in _METRIC_CHOICES], "people", id="map-metric", className="segmented",
                        inputClassName="segmented-input", labelClassName="segmented-label")),
                    _control(_("Window"), dcc.RadioItems(
                        [{"label": k, "value": k} for k in _WINDOWS], "3h", id="map-window-length",
                        className="segmented", inputClassName="segmented-input",
                        labelClassName="segmented-label")),
                    _control(_("Ending (Hong Kong time)"), html.Div([
                        dcc.DatePickerSingle(id="map-end-date", placeholder=_("latest data"),
                                             display_format="YYYY-MM-DD", clearable=True),
                        dcc.Dropdown([{"label": f"{h:02d}:00", "value": h} for h in range(24)],
                                     None, id="map-end-hour", placeholder=_("hour"),
                                     className="hour-dropdown"),
                    ], className="control-row")),
                    html.Div(id="map-window", className="window-label"),
                ],
                className="map-controls",
            ),
            html.Div(
                [
                    hex_map("map", resolutions=(8, 9, 10), colors="heat", show_districts=True,
                            show_cameras=True, tile_url=tile_url, height="calc(100vh - 235px)"),
                    html.Aside(
                        [html.H2(_("Selected hex")),
                         html.Div(_("Click a hex to see its district and cameras."), id="map-cell")],
                        className="map-side",
                    ),
                ],
                className="map-body",
            ),
        ],
        className="page page-map",
    )


def _hk(moment: datetime) -> str:
    return hk_time(moment, "%a %d %b %Y %H:%M")


@callback(
    Output(IDS.values, "data"),
    Input("map-metric", "value"),
    Input("map-window-length", "value"),
    Input("map-end-date", "date"),
    Input("map-end-hour", "value"),
    Input(IDS.view, "data"),
)
def show_metric(metric: str, window: str, day: str | None, hour: int | None, view: dict | None):
    metric = inputs.choice(metric, [c["value"] for c in _METRIC_CHOICES], "map-metric.value")
    window = inputs.choice(window, _WINDOWS, "map-window-length.value")
    picked = inputs.optional_date(day, "map-end-date.date")
    hour = inputs.optional_int(hour, "map-end-hour.value", low=0, high=23)
    resolution = inputs.choice(inputs.mapping(view, f"{IDS.view}.data").get("resolution"), (8, 9, 10),
                               f"{IDS.view}.data", default=9)
    ctx = app_context()
    shown = heatmap.city_map_view(ctx.read_uow(), metric, resolution, _WINDOWS[window],
                                  heatmap.window_end_local(picked.isoformat() if picked else None, hour), ctx.cache)
    if metric == "water":
        shown.values["colors"] = SCALES["water"]
    shown.values["window"] = f"{_hk(shown.start)} \u2013 {_hk(shown.end)} HKT \u00b7 H3 res {resolution}"
    return shown.values


# The caption travels inside the values document, so one server round trip updates both.
clientside_callback(
    "function (doc) { return doc && doc.window ? doc.window : ''; }",
    Output("map-window", "children"),
    Input(IDS.values, "data"),
)


@callback(Output("map-cell", "children"), Input(IDS.selected, "data"))
def show_cell(cell: str | None):
    cell = inputs.optional_cell(cell, f"{IDS.selected}.data")
    if not cell:
        return _("Click a hex to see its district and cameras.")
    summary = heatmap.selected_cell(app_context().read_uow(), cell)
    if summary is None:
        return f"{cell}: not a land hex"
    return html.Dl([
        html.Dt(_("Cell")), html.Dd(summary["cell"], id="map-cell-id"),
        html.Dt(_("Resolution")), html.Dd(str(summary["resolution"])),
        html.Dt(_("District")), html.Dd(summary["district"] or _("none")),
        html.Dt(_("Cameras")), html.Dd(str(summary["cameras"])),
        html.Dt(_("Area")), html.Dd(f"{summary['area_m2'] / 1e6:.3f} km\u00b2"),
    ])
