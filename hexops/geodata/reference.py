"""SQL of the reference registry: districts, cameras, incidents.

Named functions with bound parameters, run inside the caller's
transaction.  Geometries travel as hex EWKB (SRID 4326); bulk rows go by
COPY into a temporary staging table and are merged with one
``INSERT ... ON CONFLICT``.  H3 cells are signed BIGINT.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from hexops.geodata.h3cells import latlng_to_cells


def ewkb(geoms) -> np.ndarray:
    """Hex EWKB (SRID 4326) of shapely geometries; None stays None."""
    arr = shapely.set_srid(np.asarray(geoms, dtype=object), 4326)
    return shapely.to_wkb(arr, hex=True, include_srid=True)


def district_rows(districts) -> pd.DataFrame:
    """``upsert_districts`` rows of a districts GeoDataFrame (EPSG:4326)."""
    return pd.DataFrame({
        "code": districts["code"].to_numpy(),
        "name_en": districts["name_en"].to_numpy(),
        "name_zh": districts["name_zh"].to_numpy(),
        "geom": ewkb(districts.geometry.to_numpy()),
    })


def camera_rows(cameras) -> pd.DataFrame:
    """``upsert_cameras`` rows of a cameras GeoDataFrame (EPSG:4326)."""
    fov = cameras["fov"].to_numpy() if "fov" in cameras else np.full(len(cameras), None)
    area = cameras["fov_area_m2"].to_numpy() if "fov_area_m2" in cameras else np.full(len(cameras), np.nan)
    lat, lon = cameras.geometry.y.to_numpy(), cameras.geometry.x.to_numpy()
    return pd.DataFrame({
        "camera_id": cameras["camera_id"].to_numpy(),
        "owner_code": cameras["owner_code"].to_numpy(),
        "kind": cameras["kind"].to_numpy(),
        "status": cameras["status"].to_numpy(),
        "location": ewkb(cameras.geometry.to_numpy()),
        "fov": ewkb(fov),
        "fov_area_m2": area,
        **{f"h3_r{r}": latlng_to_cells(lat, lon, r) for r in (8, 9, 10)},
        "location_name": (cameras["location_name"].fillna("").to_numpy() if "location_name" in cameras
                          else np.full(len(cameras), "")),
    })


def _copy(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False)
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns))
    with conn.cursor().copy(statement) as cp:
        cp.write(buf.getvalue())


def upsert_districts(conn: psycopg.Connection, frame: pd.DataFrame) -> int:
    """Insert or replace districts.

    Parameters
    ----------
    frame : DataFrame
        ``code``, ``name_en``, ``name_zh`` (may be null) and ``geom``
        (MultiPolygon as hex EWKB, SRID 4326).
    """
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS registry_district_stage "
                 "(code text, name_en text, name_zh text, geom geometry)")
    conn.execute("TRUNCATE registry_district_stage")
    _copy(conn, "registry_district_stage", frame[["code", "name_en", "name_zh", "geom"]])
    return conn.execute(
        "INSERT INTO districts (code, name_en, name_zh, geom) "
        "SELECT code, name_en, name_zh, ST_Multi(geom) FROM registry_district_stage ORDER BY code "
        "ON CONFLICT (code) DO UPDATE SET name_en = excluded.name_en, name_zh = excluded.name_zh, "
        "geom = excluded.geom"
    ).rowcount


def delete_districts_except(conn: psycopg.Connection, codes: list[str]) -> int:
    """Delete every district whose code is not in ``codes`` (references become null)."""
    return conn.execute("DELETE FROM districts WHERE NOT (code = ANY(%s))", (list(codes),)).rowcount


def district_codes(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT code FROM districts ORDER BY code").fetchall()]


#: Tables with a point and a district, and their point column.
POINT_TABLES: dict[str, str] = {"cameras": "location", "incidents": "geom", "rainfall_readings": "geom"}

#: How far (degrees, about 2 km at Hong Kong's latitude) a point off every
#: district may be and still take the nearest one.
NEAREST_DISTRICT_DEG = 0.02


def prepare_district_parts(conn: psycopg.Connection) -> None:
    """(Re)build the temporary table ``district_parts``: districts cut into pieces of at most 64 vertices.

    Real boundaries have thousands of vertices per district; testing tens of
    thousands of points against small indexed pieces is much faster than
    against the whole polygons.
    """
    conn.execute("DROP TABLE IF EXISTS pg_temp.district_parts")
    conn.execute("CREATE TEMP TABLE district_parts AS "
                 "SELECT code, ST_Subdivide(geom, 64) AS geom FROM districts")
    conn.execute("CREATE INDEX ON pg_temp.district_parts USING gist (geom)")
    conn.execute("ANALYZE pg_temp.district_parts")


def assign_point_districts(conn: psycopg.Connection, tables: tuple[str, ...] = tuple(POINT_TABLES)) -> None:
    """Refresh the district of the points in ``tables`` (cameras, incidents, rain readings).

    A point inside a district takes it; a point outside every district (on a
    pier, or off a coarse outline) takes the nearest within about 2 km, else
    none.
    """
    prepare_district_parts(conn)
    for table in tables:
        ident, col = sql.Identifier(table), sql.Identifier(POINT_TABLES[table])
        conn.execute(sql.SQL(
            "UPDATE {t} p SET district_code = d.code FROM pg_temp.district_parts d "
            "WHERE ST_Intersects(d.geom, p.{c}) AND p.district_code IS DISTINCT FROM d.code"
        ).format(t=ident, c=col))
        conn.execute(sql.SQL(
            "UPDATE {t} p SET district_code = ("
            "  SELECT d.code FROM pg_temp.district_parts d WHERE ST_DWithin(d.geom, p.{c}, %s)"
            "  ORDER BY d.geom <-> p.{c} LIMIT 1) "
            "WHERE p.{c} IS NOT NULL AND NOT EXISTS ("
            "  SELECT 1 FROM pg_temp.district_parts d WHERE ST_Intersects(d.geom, p.{c}))"
        ).format(t=ident, c=col), (NEAREST_DISTRICT_DEG,))


CAMERA_COLUMNS = ("camera_id", "owner_code", "kind", "status", "location", "fov", "fov_area_m2",
                  "h3_r8", "h3_r9", "h3_r10", "location_name")


def upsert_cameras(conn: psycopg.Connection, frame: pd.DataFrame) -> int:
    """Insert or replace cameras.

    Parameters
    ----------
    frame : DataFrame
        :data:`CAMERA_COLUMNS`; ``location`` (Point) and ``fov`` (Polygon,
        may be null) as hex EWKB with SRID 4326, ``fov_area_m2`` in m2,
        H3 cells as int64, ``location_name`` text ("" for none: an existing name is kept).
    """
    conn.execute("DROP TABLE IF EXISTS pg_temp.registry_camera_stage")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS registry_camera_stage (camera_id text, owner_code text, "
                 "kind text, status text, location geometry, fov geometry, fov_area_m2 double precision, "
                 "h3_r8 bigint, h3_r9 bigint, h3_r10 bigint, location_name text)")
    conn.execute("TRUNCATE registry_camera_stage")
    _copy(conn, "registry_camera_stage", frame[list(CAMERA_COLUMNS)])
    return conn.execute(
        "INSERT INTO cameras (camera_id, owner_code, kind, status, location, fov, fov_area_m2, "
        "h3_r8, h3_r9, h3_r10, location_name, updated_at) "
        "SELECT camera_id, owner_code, kind, status, location, fov, fov_area_m2, h3_r8, h3_r9, h3_r10, "
        "NULLIF(location_name, ''), now() "
        "FROM registry_camera_stage ORDER BY camera_id "
        "ON CONFLICT (camera_id) DO UPDATE SET owner_code = excluded.owner_code, kind = excluded.kind, "
        "status = excluded.status, location = excluded.location, fov = excluded.fov, "
        "fov_area_m2 = excluded.fov_area_m2, h3_r8 = excluded.h3_r8, h3_r9 = excluded.h3_r9, "
        "h3_r10 = excluded.h3_r10, updated_at = now(), "
        # A file without location names keeps the names the registry has.
        "location_name = COALESCE(excluded.location_name, cameras.location_name)"
    ).rowcount


def department_codes(conn: psycopg.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT code FROM departments").fetchall()}


def list_cameras(conn: psycopg.Connection, limit: int | None = None) -> list[tuple]:
    """Cameras by id: (camera_id, owner_code, kind, status, district_code, lat, lon, h3_r9)."""
    return conn.execute(
        "SELECT camera_id, owner_code, kind, status, district_code, ST_Y(location), ST_X(location), h3_r9 "
        "FROM cameras ORDER BY camera_id LIMIT %s", (limit,)
    ).fetchall()


def insert_incidents(conn: psycopg.Connection, frame: pd.DataFrame) -> int:
    """Insert incidents not already present (by ``external_id``); returns rows added.

    Parameters
    ----------
    frame : DataFrame
        ``external_id``, ``occurred_at`` (timezone-aware), ``type``,
        ``source``, ``geom`` (Point, hex EWKB SRID 4326), ``h3_r8``,
        ``h3_r9``, ``h3_r10`` (int64).
    """
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS registry_incident_stage (external_id text, "
                 "occurred_at timestamptz, type text, source text, geom geometry, "
                 "h3_r8 bigint, h3_r9 bigint, h3_r10 bigint)")
    conn.execute("TRUNCATE registry_incident_stage")
    out = frame[["external_id", "occurred_at", "type", "source", "geom", "h3_r8", "h3_r9", "h3_r10"]].copy()
    out["occurred_at"] = pd.to_datetime(out["occurred_at"], utc=True).map(lambda t: t.isoformat())
    _copy(conn, "registry_incident_stage", out)
    return conn.execute(
        "INSERT INTO incidents (external_id, occurred_at, type, source, geom, h3_r8, h3_r9, h3_r10) "
        "SELECT external_id, occurred_at, type, source, geom, h3_r8, h3_r9, h3_r10 "
        "FROM registry_incident_stage ORDER BY occurred_at ON CONFLICT (external_id) DO NOTHING"
    ).rowcount


def table_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Rows in the registry tables (districts, hex_cells, cameras, incidents)."""
    out = {}
    for table in ("districts", "hex_cells", "cameras", "incidents"):
        out[table] = int(conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0])
    return out


def count_between(conn: psycopg.Connection, table: str, column: str, start, end) -> int:
    """Rows of ``table`` whose ``column`` lies in ``[start, end)``."""
    return int(conn.execute(
        sql.SQL("SELECT count(*) FROM {} WHERE {} >= %s AND {} < %s").format(
            sql.Identifier(table), sql.Identifier(column), sql.Identifier(column)),
        (start, end),
    ).fetchone()[0])


def any_between(conn: psycopg.Connection, table: str, column: str, start, end) -> bool:
    """Whether ``table`` has a row whose ``column`` lies in ``[start, end)``."""
    return bool(conn.execute(
        sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE {} >= %s AND {} < %s)").format(
            sql.Identifier(table), sql.Identifier(column), sql.Identifier(column)),
        (start, end),
    ).fetchone()[0])
