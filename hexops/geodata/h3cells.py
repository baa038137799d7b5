"""H3 at the edges of hexops: one representation inside (signed BIGINT cells).

H3 indexes are unsigned 64-bit, but every valid cell has its top bit clear,
so it fits PostgreSQL's signed ``bigint`` and NumPy's ``int64`` unchanged.
Strings (``'89411c...'``) appear only in URLs and exports.
"""

from __future__ import annotations

from typing import Iterable

import h3
import h3.api.basic_int as h3i
import numpy as np
from shapely.geometry import Polygon

#: Resolutions hexops stores: 8 (~0.74 km2, district overview), 9 (~0.105 km2,
#: the working map) and 10 (~0.015 km2, a street block).
RESOLUTIONS: tuple[int, ...] = (8, 9, 10)


def latlng_to_cells(lat: Iterable[float], lng: Iterable[float], resolution: int) -> np.ndarray:
    """H3 cells of WGS84 points (EPSG:4326, degrees) at ``resolution``.

    Returns
    -------
    numpy.ndarray of int64, one cell per point.
    """
    lat_arr = np.asarray(lat, dtype=float)
    lng_arr = np.asarray(lng, dtype=float)
    out = np.empty(lat_arr.shape[0], dtype=np.int64)
    convert = h3i.latlng_to_cell
    for i, (la, ln) in enumerate(zip(lat_arr.tolist(), lng_arr.tolist())):
        out[i] = convert(la, ln, resolution)
    return out


def cell_polygon(cell: int) -> Polygon:
    """The boundary of ``cell`` as a shapely Polygon in lon/lat order (EPSG:4326)."""
    return Polygon([(lng, lat) for lat, lng in h3i.cell_to_boundary(int(cell))])


def cell_to_str(cell: int) -> str:
    return h3.int_to_str(int(cell))


def str_to_cell(text: str) -> int:
    """Parse a hexadecimal H3 string; raises ValueError when it is not a valid cell."""
    try:
        cell = h3.str_to_int(text)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not an H3 cell: {text!r}") from exc
    if not h3i.is_valid_cell(cell):
        raise ValueError(f"not an H3 cell: {text!r}")
    return cell


def parent(cell: int, resolution: int) -> int:
    return h3i.cell_to_parent(int(cell), resolution)


def resolution_of(cell: int) -> int:
    return h3i.get_resolution(int(cell))


def disk(cell: int, k: int) -> list[int]:
    """Cells within ``k`` grid steps of ``cell`` (``cell`` included)."""
    return list(h3i.grid_disk(int(cell), k))


def polygon_to_cells(polygon: Polygon, resolution: int) -> list[int]:
    """Cells whose centres fall inside a WGS84 shapely polygon."""
    shape = h3.geo_to_h3shape(polygon.__geo_interface__)
    return [h3.str_to_int(c) for c in h3.h3shape_to_cells(shape, resolution)]
