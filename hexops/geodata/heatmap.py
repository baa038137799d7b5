"""Queries behind the city map: hex values per metric, hex geometry, outlines, cameras.

Every function takes an open psycopg connection and runs inside the
caller's transaction.  Cells are BIGINT H3 ids (resolution 8, 9 or 10);
geometry is WGS84 (EPSG:4326); times are ``timestamptz`` (UTC).

The map sends geometry once per resolution and values many times, so both
share one order: hex cells of a resolution sorted by their H3 id.  Values
returned here are aligned to that order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import psycopg
import shapely
from psycopg import sql

from hexops.errors import InputError
from hexops.geodata.h3cells import RESOLUTIONS

#: Metrics the map can show, and what each value means for a hex over a window.
METRICS: dict[str, str] = {
    "people": "mean number of people visible, summed over the hex's cameras",
    "vehicles": "mean number of vehicles visible, summed over the hex's cameras",
    "water": "share (0..1) of observed camera-time with water on the road (wet or flooded)",
    "incidents": "number of incidents recorded in the hex",
}

# Expression per detection metric over the summed additive columns; the
# window length (seconds) is bound as a parameter, never formatted in.
_DETECTION_VALUE = {
    "people": sql.SQL("sum(d.people_s) / %(window_s)s"),
    "vehicles": sql.SQL("sum(d.vehicles_s) / %(window_s)s"),
    "water": sql.SQL("(sum(d.wet_s) + sum(d.flooded_s)) / nullif(sum(d.covered_s), 0)"),
}
_CELL_COLUMN = {8: "h3_r8", 9: "h3_r9", 10: "h3_r10"}


class HeatmapQueryError(InputError):
    """A map query was asked for something hexops does not store."""


@dataclass(frozen=True)
class CellGeometry:
    """The hex cells of one resolution, in the map's shared order.

    Attributes
    ----------
    resolution : int
        H3 resolution (8, 9 or 10).
    cells : numpy.ndarray of int64
        H3 ids, ascending.
    centroids : numpy.ndarray of float64, shape (n, 2)
        Cell centroids, lon/lat degrees (EPSG:4326).
    rings : list of numpy.ndarray
        Exterior ring of each cell, shape (k, 2) lon/lat degrees, without
        the closing vertex.
    """

    resolution: int
    cells: np.ndarray
    centroids: np.ndarray
    rings: list[np.ndarray]


def _check_resolution(resolution: int) -> None:
    if resolution not in RESOLUTIONS:
        raise HeatmapQueryError(f"resolution: expected one of {RESOLUTIONS}, got {resolution!r}")


def _check_window(start: datetime, end: datetime) -> float:
    if start.tzinfo is None or end.tzinfo is None:
        raise HeatmapQueryError("start/end: expected timezone-aware datetimes")
    seconds = (end - start).total_seconds()
    if seconds <= 0:
        raise HeatmapQueryError(f"end: must be after start ({start.isoformat()} .. {end.isoformat()})")
    return seconds


def cell_version(conn: psycopg.Connection, resolution: int) -> str:
    """A short fingerprint of the cell set of ``resolution`` (changes when cells change).

    Used as the geometry ETag and to check that values and cached geometry
    share one order.
    """
    _check_resolution(resolution)
    row = conn.execute(
        "SELECT count(*), coalesce(left(md5(string_agg(h3::text, ',' ORDER BY h3)), 16), '')"
        " FROM hex_cells WHERE resolution = %s",
        (resolution,),
    ).fetchone()
    return f"r{resolution}-{row[0]}-{row[1]}"


def cell_geometry(conn: psycopg.Connection, resolution: int) -> CellGeometry:
    """All hex cells of ``resolution`` with centroid and boundary (EPSG:4326), by H3 id."""
    _check_resolution(resolution)
    rows = conn.execute(
        "SELECT h3, ST_X(centroid), ST_Y(centroid), ST_AsBinary(ST_ExteriorRing(geom))"
        " FROM hex_cells WHERE resolution = %s ORDER BY h3",
        (resolution,),
    ).fetchall()
    cells = np.array([r[0] for r in rows], dtype=np.int64)
    centroids = np.array([(r[1], r[2]) for r in rows], dtype=float).reshape(-1, 2)
    lines = shapely.from_wkb([bytes(r[3]) for r in rows]) if rows else []
    rings = [shapely.get_coordinates(line)[:-1] for line in lines]
    return CellGeometry(resolution, cells, centroids, rings)


def cell_ids(conn: psycopg.Connection, resolution: int) -> np.ndarray:
    """H3 ids (int64) of the hex cells of ``resolution``, ascending: the map's shared order."""
    _check_resolution(resolution)
    rows = conn.execute(
        "SELECT h3 FROM hex_cells WHERE resolution = %s ORDER BY h3", (resolution,)
    ).fetchall()
    return np.array([r[0] for r in rows], dtype=np.int64)


@dataclass(frozen=True)
class SparseValues:
    """Values of the cells that have any (ascending H3 order); every other cell has ``fill``.

    Attributes
    ----------
    cells : numpy.ndarray of int64
        H3 ids with a value, ascending.
    values : numpy.ndarray of float64
    fill : float
        The value of every other cell: NaN (no data) for detection metrics,
        0 for incident counts.
    """

    cells: np.ndarray
    values: np.ndarray
    fill: float


def cell_values_sparse(
    conn: psycopg.Connection, metric: str, resolution: int, start: datetime, end: datetime
) -> SparseValues:
    """Values of ``metric`` over ``[start, end)`` for the hexes that have one.

    Parameters
    ----------
    metric : str
        One of :data:`METRICS`.
    resolution : int
        H3 resolution (8, 9 or 10).
    start, end : datetime
        Timezone-aware window bounds (stored and compared in UTC).

    Notes
    -----
    Only hexes with reports (or incidents) in the window come back, which is
    what keeps a value update small: a few percent of the city's hexes hold
    cameras.  No report is no data (NaN), never zero people.
    """
    _check_resolution(resolution)
    window_s = _check_window(start, end)
    params = {"res": resolution, "start": start, "end": end, "window_s": window_s}
    if metric in _DETECTION_VALUE:
        # Hours before the oldest 5-minute bucket kept come from the hourly tier
        # (the 5-minute rows behind them were dropped after 90 days); both tiers
        # hold the same additive sums, so the value adds up across them.
        query = sql.SQL(
            "WITH tier AS (SELECT coalesce(date_trunc('hour', min(bucket)), %(end)s) AS start_5min"
            "              FROM detections_hex_5min)"
            " SELECT d.h3, {value} FROM ("
            "   SELECT h3, people_s, vehicles_s, wet_s, flooded_s, covered_s FROM detections_hex_5min"
            "   WHERE resolution = %(res)s AND bucket >= %(start)s AND bucket < %(end)s"
            "   UNION ALL"
            "   SELECT h3, people_s, vehicles_s, wet_s, flooded_s, covered_s FROM detections_hex_hour"
            "   WHERE resolution = %(res)s AND bucket >= %(start)s"
            "     AND bucket < least(%(end)s, (SELECT start_5min FROM tier))) d"
            " GROUP BY d.h3 ORDER BY d.h3"
        ).format(value=_DETECTION_VALUE[metric])
        fill = float("nan")
    elif metric == "incidents":
        query = sql.SQL(
            "SELECT i.{cell}, count(*) FROM incidents i"
            " WHERE i.occurred_at >= %(start)s AND i.occurred_at < %(end)s"
            " GROUP BY i.{cell} ORDER BY i.{cell}"
        ).format(cell=sql.Identifier(_CELL_COLUMN[resolution]))
        fill = 0.0
    else:
        raise HeatmapQueryError(f"metric: expected one of {sorted(METRICS)}, got {metric!r}")
    # At 60,000 cameras a 3-hour window's plan costs enough to be JIT-compiled, which takes
    # longer (tens of ms) than the aggregate it would speed up.
    conn.execute("SET LOCAL jit = off")
    rows = conn.execute(query, params).fetchall()
    cells = np.array([r[0] for r in rows], dtype=np.int64)
    values = np.array([np.nan if r[1] is None else float(r[1]) for r in rows], dtype=float)
    return SparseValues(cells, values, fill)


def densify(cell_order: np.ndarray, sparse: SparseValues) -> np.ndarray:
    """Spread sparse values over ``cell_order`` (ascending H3 ids); cells off the map are dropped."""
    dense = np.full(len(cell_order), sparse.fill, dtype=float)
    if len(cell_order) and len(sparse.cells):
        pos = np.clip(np.searchsorted(cell_order, sparse.cells), 0, len(cell_order) - 1)
        found = cell_order[pos] == sparse.cells
        dense[pos[found]] = sparse.values[found]
    return dense


def cell_values(
    conn: psycopg.Connection, metric: str, resolution: int, start: datetime, end: datetime
) -> np.ndarray:
    """Values of ``metric`` per hex cell over ``[start, end)``, aligned to :func:`cell_geometry`.

    Returns
    -------
    numpy.ndarray of float64
        One value per cell of ``resolution`` in ascending H3 order; NaN for a
        detection metric where no camera reported in the window (no data is
        not zero).  Incident counts are 0 where none occurred.
    """
    sparse = cell_values_sparse(conn, metric, resolution, start, end)
    return densify(cell_ids(conn, resolution), sparse)


def data_time_range(conn: psycopg.Connection) -> tuple[datetime | None, datetime | None]:
    """First and last 5-minute bucket holding detections (UTC), or (None, None).

    Each partition's primary key leads with ``bucket`` (migration 080), so
    min() and max() read the two ends of each partition's index rather than
    every row: the cost follows the number of partitions kept, not the rows.
    """
    row = conn.execute("SELECT min(bucket), max(bucket) FROM detections_hex_5min").fetchone()
    return row[0], row[1]


def district_outlines(conn: psycopg.Connection, tolerance_deg: float = 0.0002) -> list[dict]:
    """District outlines simplified for drawing.

    Parameters
    ----------
    tolerance_deg : float
        Douglas-Peucker tolerance in degrees (EPSG:4326); 0.0002 deg is about
        20 m, below one res-10 hex edge (~66 m).

    Returns
    -------
    list of dict
        ``{"code", "name", "rings": [array (k, 2) lon/lat]}`` per district.
    """
    rows = conn.execute(
        "SELECT code, name_en, ST_AsBinary(ST_SimplifyPreserveTopology(geom, %s))"
        " FROM districts ORDER BY code",
        (tolerance_deg,),
    ).fetchall()
    out = []
    for code, name, wkb in rows:
        geom = shapely.from_wkb(bytes(wkb))
        rings = []
        for polygon in getattr(geom, "geoms", [geom]):
            rings.append(np.asarray(polygon.exterior.coords))
            rings.extend(np.asarray(r.coords) for r in polygon.interiors)
        out.append({"code": code, "name": name, "rings": rings})
    return out


def camera_points(conn: psycopg.Connection) -> tuple[list[str], np.ndarray, list[str]]:
    """Active and maintenance cameras: ids, lon/lat (EPSG:4326, shape (n, 2)) and owner codes."""
    rows = conn.execute(
        "SELECT camera_id, ST_X(location), ST_Y(location), owner_code FROM cameras"
        " WHERE status <> 'retired' ORDER BY camera_id"
    ).fetchall()
    ids = [r[0] for r in rows]
    xy = np.array([(r[1], r[2]) for r in rows], dtype=float).reshape(-1, 2)
    return ids, xy, [r[3] for r in rows]




def cell_summary(conn: psycopg.Connection, cell: int) -> dict | None:
    """District and number of (non-retired) cameras of one hex cell, or None if not on land.

    Returns
    -------
    dict
        ``{"cell", "resolution", "district_code", "district", "cameras", "area_m2"}``.
    """
    row = conn.execute(
        "SELECT c.resolution, c.district_code, d.name_en, c.area_m2 FROM hex_cells c"
        " LEFT JOIN districts d ON d.code = c.district_code WHERE c.h3 = %s",
        (cell,),
    ).fetchone()
    if row is None:
        return None
    column = sql.Identifier(_CELL_COLUMN[row[0]])
    cameras = conn.execute(
        sql.SQL("SELECT count(*) FROM cameras WHERE {} = %s AND status <> 'retired'").format(column),
        (cell,),
    ).fetchone()[0]
    return {"cell": cell, "resolution": row[0], "district_code": row[1], "district": row[2],
            "cameras": cameras, "area_m2": row[3]}
