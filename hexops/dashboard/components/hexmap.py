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
  ``"labels": [...]`` (discrete values 0, 1, 2... named in the legend) and
  ``"scale": "sqrt"`` (square-root colour scale for heavy-tailed counts).
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

import orjson
from dash import clientside_callback, dcc, html
from dash.dependencies import ClientsideFunction, Input, Output

#: Colour scales (low to high), chosen to stay readable on the dark map.
SCALES: dict[str, list[str]] = {
    # Dark purple to bright yellow: counts of people, vehicles, incidents.
    "heat": ["#3a2f8f", "#5b2a9c", "#8a2a9a", "#b5328a", "#d9486f", "#f06c4e", "#fb9b3a", "#fde047"],
    # Pale to deep cyan-blue: water on the road.
    "water": ["#16324f", "#1b4f7a", "#1d6fa5", "#2a8fc9", "#4cb0e0", "#7fd0f0", "#b9ebff"],
    # Yellow to red: risk scores.
    "risk": ["#3d3a1e", "#6b5a12", "#a67c00", "#d99a00", "#f57c1f", "#e8452c", "#ff1f3d"],
    # Discrete flood states: dry, wet, flooded.
    "flood": ["#3b4654", "#2f8fd8", "#ff3b30"],
}


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


def hexmap_ids(id_prefix: str) -> HexMapIds:
    """The ids of the map on the page ``id_prefix``."""
    base = f"{id_prefix}-hexmap"
    return HexMapIds(base, f"{base}-values", f"{base}-view", f"{base}-selected", f"{base}-ack",
                     f"{base}-draw-mode", f"{base}-drawn", f"{base}-focus")


def register_hex_map(id_prefix: str, drawing: bool = False) -> None:
    """Register the clientside callbacks that hand values (and the draw mode) to the renderer.

    Call once per page; ``drawing=True`` only when the page's map was made with ``drawing=True``.
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
    return html.Div(
        [
            html.Canvas(className="hexmap-canvas", role="img",
                        **{"aria-label": "Map of H3 hexes coloured by value; drag to pan, scroll to zoom"}),
            html.Div(className="hexmap-tooltip"),
            dcc.Store(id=ids.values),
            dcc.Store(id=ids.view, data={"resolution": initial_resolution}),
            dcc.Store(id=ids.selected),
            dcc.Store(id=ids.ack),
            dcc.Store(id=ids.focus),
            *draw_stores,
        ],
        id=ids.container,
        className="hexmap",
        style={"height": height},
        **data,
    )
