"""A reusable, fast H3 hex map for any page (canvas renderer in ``assets/hexmap*.js``).

Usage
-----
In a page module (``id_prefix="drainage"``)::

    from hexops.dashboard.components.hexmap import hex_map, hexmap_ids, register_hex_map
    from hexops.services import heatmap

    register_hex_map("drainage")          # once, at module level
    ids = hexmap_ids("drainage")          # the component ids, by role

    layout = html.Div([hex_map("drainage", resolutions=(9,), colors="water")])

    @callback(Output(ids.values, "data"), Input(ids.view, "data"), ...)
    def push_values(view, ...):
        resolution = (view or {}).get("resolution", 9)
        ctx = app_context()
        # {H3 cell (int64): value} from your own service, aligned to the map's order:
        return heatmap.align_values(ctx.read_uow(), resolution, my_values_by_cell, ctx.cache)

    @callback(Output("drainage-detail", "children"), Input(ids.selected, "data"))
    def show(cell):                       # cell: H3 id string of the clicked hex, or None
        ...

What goes through the stores
----------------------------
- ``ids.values`` (you write): a ``hexops.hexvalues/1`` document from
  :func:`services.heatmap.align_values` or :func:`services.heatmap.metric_values`
  (values aligned to the map's cached geometry, so only numbers travel).
  Optional keys drawn by the renderer: ``"label"`` (legend title with
  units), ``"domain": [lo, hi]`` (default: 0 .. 98th percentile),
  ``"colors": [...]`` (overrides the component's scale),
  ``"labels": [...]`` (discrete values 0, 1, 2... named in the legend),
  ``"critical": [...]`` (discrete values whose cells are outlined) and
  ``"scale": "sqrt"`` (square-root colour scale for heavy-tailed counts).
- ``ids.zones`` (you write, with ``zones=True``): a ``hexops.zones/1``
  document (:func:`hexops.services.event_zones.map_document`), drawn as
  outlines coloured by level of service.
- ``ids.view`` (the map writes): ``{"resolution": r, "zoom": z}``; with
  several ``resolutions`` the map switches to a coarser one when zoomed out
  and your callback must answer with values of ``resolution``.
- ``ids.selected`` (the map writes): the clicked cell's H3 id string.
- ``ids.focus`` (you write): ``{"cell": h3 id string, "lat": ..., "lon": ...}``
  (EPSG:4326) centres the map there at street zoom and outlines the cell
  ("show on map").
- Drawing (only with ``hex_map(..., drawing=True)`` and
  ``register_hex_map(prefix, drawing=True)``): the page writes ``True`` or
  ``False`` to ``ids.draw_mode``; while it is on, clicks add vertices instead
  of selecting hexes (dragging still pans), and a double-click or a click on
  the first vertex closes the ring, which the map writes to ``ids.drawn`` as
  ``[[lon, lat], ...]`` (EPSG:4326, first vertex repeated at the end).
  Turning the mode off discards the drawing.

Geometry (hexes per resolution, district outlines, cameras) is fetched by
the browser once from ``/api/v1/hexmap/...`` and cached; it never travels
through a callback.  Coordinates are WGS84 (EPSG:4326), drawn in Web
Mercator; H3 resolutions 8, 9 and 10.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence
from urllib.parse import urlsplit

import matplotlib
import matplotlib.colors
import orjson
from dash import clientside_callback, dcc, html
from dash.dependencies import ClientsideFunction, Input, Output

def _ramp(name: str, n: int) -> list[str]:
    """``n`` colours of a matplotlib colour map, low to high, as CSS hex."""
    cmap = matplotlib.colormaps[name].resampled(n)
    return [matplotlib.colors.to_hex(cmap(i)) for i in range(n)]


#: Colour scales (low to high).  Continuous values use viridis and cividis: perceptually
#: uniform and readable with any colour vision (cividis is built for red-green deficiency);
#: lightness rises with the value, so a greyscale print keeps the order.
SCALES: dict[str, list[str]] = {
    # Counts of people, vehicles, incidents.
    "heat": _ramp("viridis", 8),
    # Water on the road.
    "water": _ramp("cividis", 7),
    # Risk scores.
    "risk": _ramp("viridis", 7),
    # Discrete flood states: dry, wet, flooded (flooded the brightest, see FLOOD_STATES).
    "flood": ["#2b333d", "#496b86", "#ff5ce1"],
}

#: Flood states normal, watch, warning, flooded, receding: a categorical palette tested in
#: tests/unit/test_map_colours.py to stay apart (CIELAB distance >= 20) under simulated
#: deuteranopia, protanopia and tritanopia, with "flooded" a bright magenta that is lighter
#: than "watch" for every viewer (a red would turn dark olive for red-green colour blindness).
FLOOD_STATES: list[str] = ["#2b333d", "#496b86", "#d9a400", "#ff5ce1", "#00b39a"]
#: Crowd levels of service A (free flow) to F (crush), viridis; the letter is always written too.
LOS_COLOURS: dict[str, str] = dict(zip("ABCDEF", _ramp("viridis", 6)))


@dataclass(frozen=True)
class HexMapIds:
    """Ids of one map's parts (all start with the page's ``id_prefix``)."""

    container: str
    values: str
    view: str
    selected: str
    ack: str
    draw_mode: str
    drawn: str
    focus: str = ""
    zones: str = ""


def hexmap_ids(id_prefix: str) -> HexMapIds:
    """The ids of the map on the page ``id_prefix``."""
    base = f"{id_prefix}-hexmap"
    return HexMapIds(base, f"{base}-values", f"{base}-view", f"{base}-selected", f"{base}-ack",
                     f"{base}-draw-mode", f"{base}-drawn", f"{base}-focus", f"{base}-zones")


def register_hex_map(id_prefix: str, drawing: bool = False, zones: bool = False) -> None:
    """Register the clientside callbacks that hand values (and the draw mode, and zones) to the renderer.

    Call once per page; ``drawing=True`` / ``zones=True`` only when the page's map was made so.
    """
    ids = hexmap_ids(id_prefix)
    clientside_callback(
        ClientsideFunction(namespace="hexmap", function_name="setValues"),
        Output(ids.ack, "data"),
        Input(ids.values, "data"),
        Input(ids.container, "id"),
    )
    # "Show on map": a page writes {"cell": h3, "lat": ..., "lon": ...} to ids.focus.
    clientside_callback(
        ClientsideFunction(namespace="hexmap", function_name="focus"),
        Output(ids.ack, "data", allow_duplicate=True),
        Input(ids.focus, "data"),
        Input(ids.container, "id"),
        prevent_initial_call=True,
    )
    if zones:
        clientside_callback(
            ClientsideFunction(namespace="hexmap", function_name="setZones"),
            Output(ids.ack, "data", allow_duplicate=True),
            Input(ids.zones, "data"),
            Input(ids.container, "id"),
            prevent_initial_call=True,
        )
    if drawing:
        clientside_callback(
            ClientsideFunction(namespace="hexmap", function_name="setDrawing"),
            Output(ids.ack, "data", allow_duplicate=True),
            Input(ids.draw_mode, "data"),
            Input(ids.container, "id"),
            prevent_initial_call=True,
        )


def hex_map(
    id_prefix: str,
    resolutions: Sequence[int] = (9,),
    initial_resolution: int | None = None,
    colors: str | Sequence[str] = "heat",
    show_districts: bool = True,
    show_cameras: bool = False,
    tile_url: str | None = None,
    height: str = "72vh",
    drawing: bool = False,
    zones: bool = False,
    tile_attribution: str | None = None,
) -> html.Div:
    """The map: a canvas drawn by ``assets/hexmap.js`` plus its stores.

    Parameters
    ----------
    id_prefix : str
        The page's ``id_prefix``; ids come from :func:`hexmap_ids`.
    resolutions : sequence of int
        H3 resolutions (8, 9, 10) the map may show; after the user zooms, the
        finest one whose hexes stay legible at that zoom is used.
    initial_resolution : int, optional
        Resolution of the first view (default: 9 if offered, else the first).
    colors : str or sequence of str
        A name from :data:`SCALES` or a list of CSS colours, low to high.
    show_districts, show_cameras : bool
        Draw district outlines / camera positions (cameras appear when
        zoomed in enough to tell them apart).
    tile_url : str, optional
        XYZ raster tile template (``https://.../{z}/{x}/{y}.png``) drawn
        underneath; without it the map needs no network beyond hexops.
    height : str
        CSS height of the map.
    drawing : bool
        Let the page switch on a polygon draw mode (``ids.draw_mode`` in,
        ``ids.drawn`` out; see the module docstring).
    zones : bool
        Draw the zones a page writes to ``ids.zones`` (``hexops.zones/1`` from
        :func:`hexops.services.event_zones.map_document`), coloured by level of service.
    tile_attribution : str, optional
        Credit shown under raster tiles (default: the ``HEXOPS_TILE_ATTRIBUTION``
        setting, else the tile server's host name).
    """
    ids = hexmap_ids(id_prefix)
    if initial_resolution is None:
        initial_resolution = 9 if 9 in resolutions else int(resolutions[0])
    palette = SCALES[colors] if isinstance(colors, str) else list(colors)
    data = {
        "data-resolutions": orjson.dumps(sorted(int(r) for r in resolutions)).decode(),
        "data-resolution": str(initial_resolution),
        "data-colors": orjson.dumps(palette).decode(),
        "data-districts": "1" if show_districts else "0",
        "data-cameras": "1" if show_cameras else "0",
        "data-tile-url": tile_url or "",
        "data-drawn-cells": "0",
        "data-draw": "1" if drawing else "0",
    }
    draw_stores = [dcc.Store(id=ids.draw_mode, data=False), dcc.Store(id=ids.drawn)] if drawing else []
    zone_stores = [dcc.Store(id=ids.zones)] if zones else []
    help_id = f"{base_id(id_prefix)}-help"
    return html.Div(
        [
            html.Canvas(className="hexmap-canvas", role="application",
                        **{"aria-label": "Map of H3 hexes coloured by value", "aria-describedby": help_id}),
            html.Div(className="hexmap-tooltip"),
            *_controls(id_prefix),
            html.P(KEYBOARD_HELP, id=help_id, className="visually-hidden"),
            # Read out by screen readers as the keyboard moves between hexes.
            html.Div(className="hexmap-live visually-hidden", role="status", **{"aria-live": "polite"}),
            *_attribution(tile_url, tile_attribution),
            dcc.Store(id=ids.values),
            dcc.Store(id=ids.view, data={"resolution": initial_resolution}),
            dcc.Store(id=ids.selected),
            dcc.Store(id=ids.ack),
            dcc.Store(id=ids.focus),
            *draw_stores,
            *zone_stores,
        ],
        id=ids.container,
        className="hexmap",
        style={"height": height},
        **data,
    )


#: How to use the map from the keyboard (read by screen readers; also the buttons' titles).
KEYBOARD_HELP = ("Keyboard: arrow keys move between hexes with data, N and P go to the next and previous "
                 "by value, Enter opens the selected hex's details, Shift and arrows pan, plus and minus "
                 "zoom, 0 resets the view, Escape leaves the hex.")


def base_id(id_prefix: str) -> str:
    """The map container's id on the page ``id_prefix``."""
    return hexmap_ids(id_prefix).container


def _controls(id_prefix: str) -> list:
    """Zoom in, zoom out and reset view (handled in ``assets/hexmap-layers.js``; no callback)."""
    def button(text: str, cls: str, label: str):
        return html.Button(text, className=f"hexmap-button {cls}", type="button", title=label,
                           **{"aria-label": label})
    return [html.Div([button("+", "hexmap-zoom-in", "Zoom in"), button("\u2212", "hexmap-zoom-out", "Zoom out"),
                      button("\u27f2", "hexmap-reset", "Reset view: the whole city")],
                     className="hexmap-buttons", role="group", **{"aria-label": "Map view"})]


def _attribution(tile_url: str | None, attribution: str | None) -> list:
    """The credit under raster tiles, or the offline basemap's own (GSHHG coastline)."""
    if not tile_url:
        return [html.Div("Coastline: GSHHG \u00b7 places: hexops gazetteer", className="hexmap-attribution")]
    if attribution is None:
        from hexops.dashboard.context import app_context
        attribution = app_context().settings.tile_attribution
    if not attribution:
        attribution = "Map tiles: " + (urlsplit(tile_url).hostname or "tile server")
    return [html.Div(attribution, className="hexmap-attribution")]
