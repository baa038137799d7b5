"""What partners' clients discover about a shared collection: queryables, extents, tile limits.

Read by the OGC API's collection documents and ``/queryables``, and by the
tiles' TileJSON and tile reads. Everything here follows the reader
(``reveal_cameras``: :func:`services.sharing.reveals_cameras`): a property
withheld from a reader (a camera figure without ``camera_positions``) is not
among its queryables, and a collection it was not granted is refused before
any of this is computed (:func:`services.sharing.collection_for`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hexops.city import HONG_KONG, City
from hexops.geodata import sharing as q

#: Zooms a tile layer is served at: below 8 a resolution-9 hexagon is under a pixel; 17 is a
#: street's width, beyond which clients over-zoom the 17 tiles.
TILE_MIN_ZOOM, TILE_MAX_ZOOM = 8, 17

_DESCRIPTIONS = {
    "suppressed": "true when the record's counts are withheld (below k); they are then null",
}


def queryables(collection: q.Collection, reveal_cameras: bool) -> dict[str, str]:
    """The properties a reader may filter and sort on, with their types (what it is shown, no more)."""
    return collection.published_properties(reveal_cameras)


def property_notes(collection: q.Collection, reveal_cameras: bool) -> dict[str, str]:
    """A sentence per property that is published differently from its raw value (for schemas)."""
    notes = dict(_DESCRIPTIONS) if collection.suppressed_fields else {}
    for name in collection.suppressed_fields:
        notes[name] = "a count, rounded to a whole number; null when below k (withheld)"
    if not reveal_cameras:
        for name, step in collection.camera_fields:
            if step is not None:
                notes[name] = f"rounded to the nearest {step:g} (without the camera_positions grant)"
    return notes


def extent(uow, collection: q.Collection, *, timeout_s: float = 5.0, cache=None) -> q.Extent:
    """The collection's extent from its data, remembered for the cache's TTL (a minute by default).

    A collection whose extent cannot be computed within the statement
    timeout (or that is empty) has ``bbox`` None; callers fall back to the city.
    """
    def build() -> q.Extent:
        with uow:
            return uow.sharing.extent(collection, timeout_s)

    try:
        if cache is None:
            return build()
        with uow:
            dsn = uow.conn.info.dsn
        return cache.fact(("shared_extent", dsn, collection.id), build)
    except q.QueryTooSlow:
        # Not remembered: the next request tries again.
        return q.Extent(None, None, None)


def spatial_extent(found: q.Extent, city: City = HONG_KONG) -> tuple[float, float, float, float]:
    """The bbox to publish (CRS84 degrees): the data's, or the city's when there is none."""
    return found.bbox if found.bbox is not None else tuple(city.bounds)


@dataclass(frozen=True)
class TileLimits:
    """Where a tile layer has tiles: CRS84 bounds (degrees) and the zoom range."""

    bounds: tuple[float, float, float, float]
    min_zoom: int = TILE_MIN_ZOOM
    max_zoom: int = TILE_MAX_ZOOM


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """The CRS84 bounds (west, south, east, north; degrees) of a web-mercator XYZ tile."""
    n = 2 ** z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y)


def tile_has_data(limits: TileLimits, z: int, x: int, y: int) -> bool:
    """Whether the tile is within the layer's zooms and touches its bounds (otherwise: 404)."""
    if not limits.min_zoom <= z <= limits.max_zoom:
        return False
    west, south, east, north = tile_bounds(z, x, y)
    xmin, ymin, xmax, ymax = limits.bounds
    return west <= xmax and east >= xmin and south <= ymax and north >= ymin
