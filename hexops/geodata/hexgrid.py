"""The H3 hex grid over land: which cells exist, their polygons, their districts.

``hex_cells`` holds every resolution-8, -9 and -10 cell that touches land,
as signed BIGINT ids with the cell polygon and centroid (EPSG:4326) and
its area in m2 (H3's exact spherical area).  Cells are computed here with h3
and written with COPY; their districts are assigned in PostGIS from the
``districts`` table.
"""

from __future__ import annotations

import io

import h3
import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
import psycopg
import shapely
from shapely.geometry.base import BaseGeometry

from hexops.geodata.h3cells import RESOLUTIONS
from hexops.geodata.reference import prepare_district_parts


def land_cells(land: BaseGeometry, resolutions: tuple[int, ...] = RESOLUTIONS) -> pd.DataFrame:
    """Every H3 cell that overlaps ``land`` (a WGS84 (Multi)Polygon, EPSG:4326).

    Uses h3's polygon-to-cells with the "overlap" containment, so coastal
    cells whose centres fall in the sea are included too.

    Returns
    -------
    pandas.DataFrame
        ``h3`` (int64), ``resolution`` (int), sorted by resolution then cell.
    """
    shape = h3.geo_to_h3shape(land.__geo_interface__)
    parts = []
    for res in resolutions:
        cells = h3.h3shape_to_cells_experimental(shape, res, contain="overlap")
        ids = np.sort(np.array([h3.str_to_int(c) for c in cells], dtype=np.int64))
        parts.append(pd.DataFrame({"h3": ids, "resolution": res}))
    return pd.concat(parts, ignore_index=True)


def cell_rows(cells: pd.DataFrame) -> pd.DataFrame:
    """Polygon, centroid (hex EWKB, SRID 4326) and area (m2) of each cell."""
    ids = cells["h3"].to_numpy()
    # h3 gives (lat, lng) vertices; shapely wants (lng, lat) and closes the rings.
    rings = np.array([h3i.cell_to_boundary(int(c)) for c in ids]).reshape(len(ids), 6, 2)[:, :, ::-1]
    polygons = shapely.set_srid(shapely.polygons(rings), 4326)
    centres = np.array([h3i.cell_to_latlng(int(c)) for c in ids]).reshape(-1, 2)
    points = shapely.set_srid(shapely.points(centres[:, 1], centres[:, 0]), 4326)
    return pd.DataFrame({
        "h3": ids,
        "resolution": cells["resolution"].to_numpy(),
        "geom": shapely.to_wkb(polygons, hex=True, include_srid=True),
        "centroid": shapely.to_wkb(points, hex=True, include_srid=True),
        "area_m2": np.array([h3i.cell_area(int(c), unit="m^2") for c in ids]),
    })


def upsert_hex_cells(conn: psycopg.Connection, rows: pd.DataFrame) -> int:
    """Insert cells from :func:`cell_rows` (existing cells keep their row); returns cells added."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS hexgrid_stage "
                 "(h3 bigint, resolution smallint, geom geometry, centroid geometry, area_m2 double precision)")
    conn.execute("TRUNCATE hexgrid_stage")
    buf = io.StringIO()
    rows[["h3", "resolution", "geom", "centroid", "area_m2"]].to_csv(buf, index=False, header=False)
    with conn.cursor().copy("COPY hexgrid_stage (h3, resolution, geom, centroid, area_m2) FROM STDIN (FORMAT csv)") as cp:
        cp.write(buf.getvalue())
    cur = conn.execute(
        "INSERT INTO hex_cells (h3, resolution, geom, centroid, area_m2) "
        "SELECT h3, resolution, geom, centroid, area_m2 FROM hexgrid_stage ORDER BY h3 "
        "ON CONFLICT (h3) DO NOTHING"
    )
    return cur.rowcount


def assign_hex_districts(conn: psycopg.Connection) -> int:
    """Set every cell's district: the one containing its centroid, else the nearest.

    Cells on the coast whose centres fall in the sea take the nearest
    district, so no land cell is left without one while districts exist.
    Returns the number of cells updated.
    """
    prepare_district_parts(conn)
    n = conn.execute(
        "UPDATE hex_cells h SET district_code = d.code FROM pg_temp.district_parts d "
        "WHERE ST_Intersects(d.geom, h.centroid) AND h.district_code IS DISTINCT FROM d.code"
    ).rowcount
    n += conn.execute(
        "UPDATE hex_cells h SET district_code = ("
        "  SELECT d.code FROM pg_temp.district_parts d ORDER BY d.geom <-> h.centroid LIMIT 1) "
        "WHERE NOT EXISTS (SELECT 1 FROM pg_temp.district_parts d WHERE ST_Intersects(d.geom, h.centroid))"
    ).rowcount
    return n


def hex_counts(conn: psycopg.Connection) -> dict[int, int]:
    """Number of cells per resolution."""
    rows = conn.execute("SELECT resolution, count(*) FROM hex_cells GROUP BY resolution").fetchall()
    return {int(r): int(n) for r, n in rows}


def hexes_without_district(conn: psycopg.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM hex_cells WHERE district_code IS NULL").fetchone()[0])
