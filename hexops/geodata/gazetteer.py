"""SQL of the gazetteer: named places, the nearest place to a point, and the basemap's land.

Every function runs in the caller's transaction.  Points and polygons are
WGS84 (EPSG:4326); distances are metres on the spheroid; bearings are
degrees clockwise from north, from the place to the point.
"""

from __future__ import annotations

import pandas as pd
import psycopg
import shapely

#: Compass points for :func:`place_phrase` (eight, 45 degrees each).
_COMPASS = ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west")
#: Closer than this (metres) a point is simply "at" the place.
AT_PLACE_M = 60.0


def place_phrase(name: str | None, metres: float | None, bearing_deg: float | None) -> str:
    """How a person would say where a point is: ``"Mong Kok Stadium, 120 m north-east"``.

    Parameters
    ----------
    name : str or None
        The nearest place; None gives ``"unnamed place"``.
    metres : float
        Distance from the place to the point (m).
    bearing_deg : float
        Direction from the place to the point, degrees clockwise from north.
    """
    if not name:
        return "unnamed place"
    if metres is None or metres < AT_PLACE_M or bearing_deg is None:
        return name
    rounded = int(round(metres / 10.0) * 10) if metres < 1000 else None
    distance = f"{rounded} m" if rounded is not None else f"{metres / 1000:.1f} km"
    return f"{name}, {distance} {_COMPASS[int(((bearing_deg % 360) + 22.5) // 45) % 8]}"


def replace_places(conn: psycopg.Connection, frame: pd.DataFrame) -> int:
    """Replace the gazetteer with ``frame`` (``name``, ``kind``, ``rank``, ``lon``, ``lat``)."""
    conn.execute("DELETE FROM places")
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO places (name, kind, rank, geom) VALUES (%s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) "
            "ON CONFLICT (name, kind) DO NOTHING",
            [(str(r.name), str(r.kind), int(r.rank), float(r.lon), float(r.lat)) for r in frame.itertuples()])
    return int(conn.execute("SELECT count(*) FROM places").fetchone()[0])


def list_places(conn: psycopg.Connection) -> pd.DataFrame:
    """Every place: ``place_id``, ``name``, ``kind``, ``rank``, ``lon``, ``lat``, by name."""
    rows = conn.execute("SELECT place_id, name, kind, rank, ST_X(geom), ST_Y(geom) FROM places "
                        "ORDER BY rank, name").fetchall()
    return pd.DataFrame(rows, columns=["place_id", "name", "kind", "rank", "lon", "lat"])


def nearest_places(conn: psycopg.Connection, keys: list[str], lats: list[float], lons: list[float]) -> pd.DataFrame:
    """For each point, the nearest place (GiST index): ``key``, ``name``, ``metres``, ``bearing_deg``.

    A key gets ``name`` None when the gazetteer is empty.
    """
    rows = conn.execute(
        """
        SELECT u.key, p.name,
               ST_Distance(p.geom::geography, u.pt::geography),
               degrees(ST_Azimuth(p.geom::geography, u.pt::geography))
        FROM (SELECT key, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS pt
              FROM unnest(%s::text[], %s::float8[], %s::float8[]) AS x(key, lat, lon)) u
        LEFT JOIN LATERAL (SELECT name, geom FROM places ORDER BY geom <-> u.pt LIMIT 1) p ON true
        """,
        (list(keys), [float(v) for v in lats], [float(v) for v in lons]),
    ).fetchall()
    return pd.DataFrame(rows, columns=["key", "name", "metres", "bearing_deg"])


def camera_location_names(conn: psycopg.Connection, camera_ids: list[str]) -> dict[str, str]:
    """``{camera_id: location_name}`` for the cameras that have one."""
    rows = conn.execute("SELECT camera_id, location_name FROM cameras WHERE camera_id = ANY(%s) "
                        "AND location_name IS NOT NULL", (list(camera_ids),)).fetchall()
    return {r[0]: r[1] for r in rows}


def replace_land(conn: psycopg.Connection, land, source: str) -> int:
    """Replace the basemap's land with the polygons of ``land`` (shapely, EPSG:4326)."""
    conn.execute("DELETE FROM basemap_land")
    parts = [p for p in shapely.get_parts(land) if p.geom_type == "Polygon" and not p.is_empty]
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO basemap_land (part_id, source, geom) VALUES (%s, %s, ST_GeomFromWKB(%s, 4326))",
                        [(i, source, shapely.to_wkb(p)) for i, p in enumerate(parts)])
    return len(parts)


def land_count(conn: psycopg.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM basemap_land").fetchone()[0])


def land_for_drawing(conn: psycopg.Connection, tolerance_deg: float = 0.00008) -> list[list[tuple[float, float]]]:
    """The land's rings simplified for drawing (about 8 m at Hong Kong), exterior and holes alike."""
    rows = conn.execute(
        "SELECT ST_AsBinary(ST_SimplifyPreserveTopology(geom, %s)) FROM basemap_land ORDER BY part_id",
        (tolerance_deg,)).fetchall()
    rings = []
    for (wkb,) in rows:
        polygon = shapely.from_wkb(bytes(wkb))
        for part in shapely.get_parts(polygon):
            rings.append(list(part.exterior.coords))
            rings.extend(list(r.coords) for r in part.interiors)
    return rings
