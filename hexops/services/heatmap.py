"""The city map's use cases: compact geometry once per resolution, values many times.

Geometry payload (``hexops.hexgeom/1``), one per H3 resolution, cacheable
for as long as the cell set does not change (its ``version``)::

    {"schema": "hexops.hexgeom/1", "resolution": 9, "version": "r9-10712-...",
     "scale": 100000,                 # coordinates are round(degrees * scale)
     "cells": ["89411c...", ...],     # H3 ids, ascending: the shared order
     "centres": [x0, y0, dx1, dy1, ...],  # quantised lon/lat, delta-coded
     "ring_sizes": [6, 6, ...],       # vertices per cell
     "rings": [dx, dy, ...]}          # each vertex relative to its centre

Values payload (``hexops.hexvalues/1``), what a page's callback pushes
into a map's values Store, dense or sparse::

    {"schema": "hexops.hexvalues/1", "resolution": 9, "version": "r9-...",
     "values": [1.5, null, ...]}      # dense: one per geometry cell, in order
                                      # (the renderer accepts it; hexops sends sparse)
    {"schema": "hexops.hexvalues/1", "resolution": 9, "version": "r9-...",
     "index": [17, 240, ...],         # sparse: positions in the geometry's order
     "values": [1.5, 0.2, ...], "fill": null}   # every other cell: fill (null = no data)

Only a few percent of hexes hold cameras, so the sparse form is what the
city map sends (~1,100 values rather than ~10,900 at res 9).

Coordinates are WGS84 (EPSG:4326); quantising at 1e-5 degrees moves a
vertex by at most ~0.6 m, far below the ~174 m edge of a res-9 hex.

Documents are plain dicts; the web layer encodes (JSON, gzip) and caches
the bytes.  What is worth remembering between refreshes goes through the
application's :class:`hexops.services.cache.ReadCache`.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time as clock, timedelta
from typing import Mapping

import numpy as np
import orjson

from hexops.city import HONG_KONG
from hexops.geodata import heatmap as q
from hexops.geodata.h3cells import cell_to_str, str_to_cell
from hexops.geodata.uow import UnitOfWork
from hexops.services.cache import NoCache, ReadCache

SCALE = 100_000
METRICS = q.METRICS
_NO_CACHE = NoCache()


def _quantise(xy: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(xy, dtype=float) * SCALE).astype(np.int64)


def encode_geometry(geometry: q.CellGeometry, version: str) -> dict:
    """Build the ``hexops.hexgeom/1`` document of one resolution (see module docstring)."""
    centres = _quantise(geometry.centroids).reshape(-1, 2)
    deltas = np.diff(centres, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    sizes = [len(ring) for ring in geometry.rings]
    offsets = (
        np.concatenate([_quantise(ring) - centre for ring, centre in zip(geometry.rings, centres)])
        if sizes
        else np.zeros((0, 2), dtype=np.int64)
    )
    return {
        "schema": "hexops.hexgeom/1",
        "resolution": geometry.resolution,
        "version": version,
        "scale": SCALE,
        "cells": [cell_to_str(c) for c in geometry.cells.tolist()],
        "centres": deltas.ravel().tolist(),
        "ring_sizes": sizes,
        "rings": offsets.ravel().tolist(),
    }


def cell_version(uow: UnitOfWork, resolution: int, cache: ReadCache = _NO_CACHE) -> str:
    """:func:`hexops.geodata.heatmap.cell_version`, remembered for the cache's TTL.

    Geometry, value positions and the client's check all use this one
    function, so within the TTL they agree even if the cells changed.
    """
    def build() -> str:
        with uow:
            return uow.heatmap.cell_version(resolution)
    return cache.fact(("cell_version", resolution), build)


def geometry_document(uow: UnitOfWork, resolution: int, cache: ReadCache = _NO_CACHE) -> dict:
    """The ``hexops.hexgeom/1`` document of ``resolution``, built once per cell-set version."""
    version = cell_version(uow, resolution, cache)

    def build() -> dict:
        with uow:
            return encode_geometry(uow.heatmap.cell_geometry(resolution), version)
    return cache.document(("geometry", resolution, version), build)


def _round(values: np.ndarray, digits: int = 3) -> list[float | None]:
    """NaN to None and values to ``digits`` significant figures, to keep the JSON short."""
    out: list[float | None] = []
    for v in values.tolist():
        if v is None or math.isnan(v):
            out.append(None)
        elif v == 0:
            out.append(0)
        else:
            out.append(float(f"{v:.{digits}g}"))
    return out


def sparse_document(resolution: int, version: str, cell_order: np.ndarray, sparse: q.SparseValues) -> dict:
    """The sparse form: positions in the geometry's order of the cells that have a value.

    ``{"index": [i, ...], "values": [v, ...], "fill": null | number}``; every
    cell not listed has ``fill`` (null: no data).  Cells off the map are dropped.
    """
    pos = np.clip(np.searchsorted(cell_order, sparse.cells), 0, max(len(cell_order) - 1, 0))
    found = (cell_order[pos] == sparse.cells) if len(cell_order) else np.zeros(len(sparse.cells), dtype=bool)
    fill = None if math.isnan(sparse.fill) else sparse.fill
    return {
        "schema": "hexops.hexvalues/1",
        "resolution": resolution,
        "version": version,
        "index": pos[found].tolist(),
        "values": _round(sparse.values[found]),
        "fill": fill,
    }


def _cell_order(uow: UnitOfWork, resolution: int, cache: ReadCache) -> tuple[str, np.ndarray]:
    """The cell-set version and ascending H3 ids of ``resolution``, remembered per version."""
    version = cell_version(uow, resolution, cache)

    def build() -> np.ndarray:
        with uow:
            return uow.heatmap.cell_ids(resolution)
    return version, cache.document(("cell_ids", resolution, version), build)


def metric_values(uow: UnitOfWork, metric: str, resolution: int, start: datetime, end: datetime,
                  cache: ReadCache = _NO_CACHE) -> dict:
    """Values of a built-in metric (see :data:`METRICS`) over ``[start, end)`` for the map.

    Returns the sparse ``hexops.hexvalues/1`` document for the geometry of
    ``resolution`` (H3 res 8, 9 or 10).
    """
    version, order = _cell_order(uow, resolution, cache)
    with uow:
        sparse = uow.heatmap.cell_values_sparse(metric, resolution, start, end)
    return sparse_document(resolution, version, order, sparse)


def align_values(uow: UnitOfWork, resolution: int, by_cell: Mapping[int, float],
                 cache: ReadCache = _NO_CACHE) -> dict:
    """Map ``{H3 cell (int64): value}`` onto the geometry's order, for any page's own values.

    Cells absent from ``by_cell`` get null (drawn as no data); cells not in
    ``hex_cells`` are dropped (they are not on land).
    """
    version, order = _cell_order(uow, resolution, cache)
    cells = np.array(sorted(int(c) for c in by_cell), dtype=np.int64)
    values = np.array([by_cell[int(c)] for c in cells.tolist()], dtype=float)
    return sparse_document(resolution, version, order, q.SparseValues(cells, values, float("nan")))


def window_default(uow: UnitOfWork, cache: ReadCache = _NO_CACHE) -> datetime | None:
    """End of the latest 5-minute bucket with detections (UTC), the map's default window end.

    Finding it scans the newest aggregates, so it is remembered for the
    cache's TTL; a map a minute behind live is fine.
    """
    def build() -> datetime | None:
        with uow:
            _, last = uow.heatmap.data_time_range()
        return None if last is None else last + timedelta(minutes=5)
    return cache.fact(("latest_bucket",), build)


def _versioned(document: dict) -> dict:
    """``document`` with a ``version``: a digest of its content (the ETag the web layer sends)."""
    return document | {"version": hashlib.sha1(orjson.dumps(document)).hexdigest()[:16]}


def outlines_document(uow: UnitOfWork, cache: ReadCache = _NO_CACHE) -> dict:
    """District outlines (``hexops.outlines/1``) as quantised, delta-coded rings (EPSG:4326)."""
    def build() -> dict:
        with uow:
            outlines = uow.heatmap.district_outlines()
        districts = []
        for d in outlines:
            rings = []
            for ring in d["rings"]:
                quantised = _quantise(ring)
                rings.append(np.diff(quantised, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel().tolist())
            districts.append({"code": d["code"], "name": d["name"], "rings": rings})
        return _versioned({"schema": "hexops.outlines/1", "scale": SCALE, "districts": districts})
    return cache.fact(("outlines",), build)


def cameras_document(uow: UnitOfWork, cache: ReadCache = _NO_CACHE) -> dict:
    """Camera positions (``hexops.cameras/1``: quantised lon/lat, delta-coded) with ids and owner codes.

    Built once per camera-registry version (a tiny query tells it): at 60,000
    cameras the build takes most of a second, which no refresh should pay.
    """
    with uow:
        registry = uow.detections.registry_version()

    def build() -> dict:
        with uow:
            ids, xy, owners = uow.heatmap.camera_points()
        quantised = _quantise(xy).reshape(-1, 2)
        deltas = np.diff(quantised, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
        return _versioned({"schema": "hexops.cameras/1", "scale": SCALE, "ids": ids, "owners": owners,
                           "points": deltas.ravel().tolist()})
    return cache.document(("cameras", registry), build)


#: Legend titles (with units) of the built-in metrics.
METRIC_LABELS: dict[str, str] = {
    "people": "People visible (mean)",
    "vehicles": "Vehicles visible (mean)",
    "water": "Water on road (share of time)",
    "incidents": "Incidents (count)",
}


@dataclass(frozen=True)
class MapView:
    """What the city map shows: the values document and the window it covers (UTC)."""

    values: dict | None
    start: datetime | None
    end: datetime | None


def city_map_view(uow: UnitOfWork, metric: str, resolution: int, window: timedelta, end: datetime | None,
                  cache: ReadCache = _NO_CACHE) -> MapView:
    """Values of ``metric`` over the ``window`` ending at ``end`` (default: the latest data).

    Parameters
    ----------
    metric : str
        One of :data:`METRICS`.
    resolution : int
        H3 resolution (8, 9 or 10).
    window : timedelta
        Length of the window.
    end : datetime, optional
        Timezone-aware end of the window; None means the end of the latest
        5-minute bucket holding detections, or now when there are none.
    """
    if end is None:
        end = window_default(uow, cache) or datetime.now(tz=UTC)
    start = end - window
    document = metric_values(uow, metric, resolution, start, end, cache)
    document["label"] = METRIC_LABELS[metric]
    if metric == "water":
        document["domain"] = [0, 1]
    else:
        # Counts are heavy-tailed (a harbour-front crowd against quiet streets).
        document["scale"] = "sqrt"
    return MapView(document, start, end)


def selected_cell(uow: UnitOfWork, cell_text: str | None) -> dict | None:
    """Details of a clicked hex (H3 id string): district, cameras, area; None if unknown."""
    if not cell_text:
        return None
    try:
        cell = str_to_cell(cell_text)
    except ValueError:
        return None
    with uow:
        summary = uow.heatmap.cell_summary(cell)
    if summary is not None:
        summary["cell"] = cell_text
    return summary


def window_end_local(day: str | None, hour: int | None) -> datetime | None:
    """The end of a window picked on screen in the city's local time, or None for "the latest data".

    Parameters
    ----------
    day : str or None
        ISO date (``2026-10-01``, a time part is ignored), local.
    hour : int or None
        Hour 0-23 of that day; None means the whole day, so the window ends at
        the following midnight.

    Returns
    -------
    datetime or None
        Timezone-aware (the city's zone; compare and store it as UTC).
    """
    if not day:
        return None
    picked = date.fromisoformat(day[:10])
    if hour is None:
        return datetime.combine(picked + timedelta(days=1), clock(0), tzinfo=HONG_KONG.tz)
    return datetime.combine(picked, clock(int(hour)), tzinfo=HONG_KONG.tz)
