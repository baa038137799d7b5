"""Shared layers for partner GIS: the collection registry and its queries.

A *collection* is what OGC API - Features (``/ogcapi``) and the vector tiles
(``/tiles``) serve.  Each is a :class:`Collection`: an id, the layer a
partner must be granted, and a *source*: one SELECT producing the columns

=========  ==========================================================
``fid``    text, the feature id (unique within the collection)
``geom``   geometry in WGS84 (EPSG:4326)
``t``      timestamptz the feature is about (NULL when timeless)
``series`` text: features of one series replace each other over time
           (a hex, a gauge); tiles draw the newest of each
``props``  jsonb: the published properties
=========  ==========================================================

Sources may use two bound parameters: ``%(res)s`` (H3 resolution, 8-10) and
``%(k)s`` (the suppression threshold); every count of people or incidents
goes through ``hexops_k_suppress(value, %(k)s)`` (migration 034) inside the
source, so items and tiles publish exactly the same values.

Adding a collection (another room's table): define, in your own module
under ``geodata/``, ``SHARED_COLLECTIONS = [Collection(...)]`` with its
source and ``requires=("your_table",)``; :func:`collections` discovers it.
A collection whose required tables do not exist yet is simply not listed.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql


@dataclass(frozen=True)
class Collection:
    """One shared collection.

    Attributes
    ----------
    id : str
        URL name (``water_states``).
    title, description : str
    layer : str
        The grant a partner needs (a row of ``shared_layers``).
    source : str
        The SELECT described in the module docstring.
    requires : tuple of str
        Tables the source reads; absent tables hide the collection.
    resolutions : tuple of int
        H3 resolutions the source can produce (``()`` for point layers).
    temporal : bool
        Whether ``t`` is meaningful (``datetime`` filters apply).
    suppressed_fields : tuple of str
        Properties subject to k-suppression (documented in the API).
    """

    id: str
    title: str
    description: str
    layer: str
    source: str
    requires: tuple[str, ...]
    resolutions: tuple[int, ...] = ()
    temporal: bool = True
    suppressed_fields: tuple[str, ...] = ()

    def resolution(self, wanted: int | None) -> int | None:
        """The resolution to use: ``wanted`` if offered, else the nearest offered one."""
        if not self.resolutions:
            return None
        if wanted is None:
            return 9 if 9 in self.resolutions else self.resolutions[0]
        return min(self.resolutions, key=lambda r: (abs(r - wanted), r))


_H3_TEXT = "lpad(to_hex({col}), 15, '0')"
_HEX_COLS = "(8, 9, 10)"

WATER_STATES = Collection(
    id="water_states",
    title="Road-surface water per hexagon (5-minute buckets)",
    description="Share of camera time that saw wet or flooded road in each H3 hexagon and 5-minute bucket; "
                "state is the majority: flooded if flooded half the time or more, else wet if wet or flooded "
                "half the time or more, else dry.",
    layer="water_states",
    source=(
        "SELECT " + _H3_TEXT.format(col="d.h3") + " || '@' || to_char(d.bucket AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI\"Z\"') AS fid, c.geom, d.bucket AS t, d.h3::text AS series, "
        "jsonb_build_object('h3', " + _H3_TEXT.format(col="d.h3") + ", 'resolution', d.resolution, "
        "'bucket_start', d.bucket, 'bucket_minutes', 5, "
        "'wet_fraction', round((d.wet_s / nullif(d.covered_s, 0))::numeric, 3), "
        "'flooded_fraction', round((d.flooded_s / nullif(d.covered_s, 0))::numeric, 3), "
        "'state', CASE WHEN d.covered_s <= 0 THEN NULL "
        "  WHEN d.flooded_s >= 0.5 * d.covered_s THEN 'flooded' "
        "  WHEN d.wet_s + d.flooded_s >= 0.5 * d.covered_s THEN 'wet' ELSE 'dry' END, "
        "'camera_seconds', round(d.covered_s)) AS props "
        "FROM detections_hex_5min d JOIN hex_cells c ON c.h3 = d.h3 WHERE d.resolution = %(res)s"
    ),
    requires=("detections_hex_5min", "hex_cells"),
    resolutions=(8, 9, 10),
)

CROWD_DENSITY = Collection(
    id="crowd_density",
    title="People visible per hexagon (5-minute buckets)",
    description="Mean number of people visible to the hexagon's cameras over each 5-minute bucket, summed "
                "over cameras, rounded; withheld (null) below k.",
    layer="crowd_density",
    source=(
        "SELECT " + _H3_TEXT.format(col="d.h3") + " || '@' || to_char(d.bucket AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI\"Z\"') AS fid, c.geom, d.bucket AS t, d.h3::text AS series, "
        "jsonb_build_object('h3', " + _H3_TEXT.format(col="d.h3") + ", 'resolution', d.resolution, "
        "'bucket_start', d.bucket, 'bucket_minutes', 5, "
        "'people', hexops_k_suppress(d.people_s / 300.0, %(k)s), "
        "'people_max', hexops_k_suppress(d.people_max, %(k)s), "
        "'suppressed', hexops_k_suppress(d.people_s / 300.0, %(k)s) IS NULL) AS props "
        "FROM detections_hex_5min d JOIN hex_cells c ON c.h3 = d.h3 WHERE d.resolution = %(res)s"
    ),
    requires=("detections_hex_5min", "hex_cells"),
    resolutions=(8, 9, 10),
    suppressed_fields=("people", "people_max"),
)

INCIDENTS = Collection(
    id="incidents",
    title="Recorded incidents per hexagon and day",
    description="Count of recorded incidents per H3 hexagon and UTC day; withheld (null) below k.",
    layer="crime_risk",
    source=(
        "SELECT " + _H3_TEXT.format(col="g.h3") + " || '@' || to_char(g.day, 'YYYY-MM-DD') AS fid, c.geom, "
        "g.day AS t, g.h3::text AS series, "
        "jsonb_build_object('h3', " + _H3_TEXT.format(col="g.h3") + ", 'resolution', c.resolution, "
        "'day', to_char(g.day, 'YYYY-MM-DD'), 'incidents', hexops_k_suppress(g.n, %(k)s), "
        "'suppressed', hexops_k_suppress(g.n, %(k)s) IS NULL) AS props "
        "FROM (SELECT CASE %(res)s WHEN 8 THEN i.h3_r8 WHEN 9 THEN i.h3_r9 ELSE i.h3_r10 END AS h3, "
        "  date_trunc('day', i.occurred_at, 'UTC') AS day, count(*)::double precision AS n "
        "  FROM incidents i GROUP BY 1, 2) g JOIN hex_cells c ON c.h3 = g.h3"
    ),
    requires=("incidents", "hex_cells"),
    resolutions=(8, 9, 10),
    suppressed_fields=("incidents",),
)

RAINFALL = Collection(
    id="rainfall",
    title="Rain gauge readings",
    description="Rainfall intensity in mm/h at each gauge and observation time.",
    layer="rainfall",
    source=(
        "SELECT r.station_id || '@' || to_char(r.observed_at AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS fid, r.geom, r.observed_at AS t, r.station_id AS series, "
        "jsonb_build_object('station_id', r.station_id, 'observed_at', r.observed_at, "
        "'mm_per_h', r.mm_per_h, 'district', r.district_code) AS props "
        "FROM rainfall_readings r WHERE r.geom IS NOT NULL"
    ),
    requires=("rainfall_readings",),
)

CAMERA_POSITIONS = Collection(
    id="camera_positions",
    title="Camera positions",
    description="Exact position, owner and status of each camera.",
    layer="camera_positions",
    source=(
        "SELECT c.camera_id AS fid, c.location AS geom, NULL::timestamptz AS t, c.camera_id AS series, "
        "jsonb_build_object('camera_id', c.camera_id, 'owner', c.owner_code, 'kind', c.kind, "
        "'status', c.status, 'district', c.district_code) AS props FROM cameras c"
    ),
    requires=("cameras",),
    temporal=False,
)

FLOOD_STATES = Collection(
    id="flood_states",
    title="Flood state per hexagon",
    description="Current flood state of each H3 resolution-9 hexagon that is not normal.",
    layer="flood_states",
    source=(
        "SELECT " + _H3_TEXT.format(col="f.h3") + " AS fid, c.geom, f.as_of AS t, f.h3::text AS series, "
        "jsonb_build_object('h3', " + _H3_TEXT.format(col="f.h3") + ", 'state', f.state, 'since', f.since, "
        "'as_of', f.as_of) AS props FROM flood_hex_states f JOIN hex_cells c ON c.h3 = f.h3"
    ),
    requires=("flood_hex_states", "hex_cells"),
    resolutions=(9,),
)

FLOOD_ALERTS = Collection(
    id="flood_alerts",
    title="Flood alerts",
    description="Each hexagon's escalation to flood warning or flooded, with the reason.",
    layer="flood_alerts",
    source=(
        "SELECT f.transition_id::text AS fid, c.geom, f.at AS t, f.h3::text AS series, "
        "jsonb_build_object('h3', " + _H3_TEXT.format(col="f.h3") + ", 'from_state', f.from_state, "
        "'to_state', f.to_state, 'at', f.at, 'reason', f.reason) AS props "
        "FROM flood_transitions f JOIN hex_cells c ON c.h3 = f.h3 WHERE f.to_state IN ('warning', 'flooded')"
    ),
    requires=("flood_transitions", "hex_cells"),
    resolutions=(9,),
)

BUILT_IN: tuple[Collection, ...] = (
    WATER_STATES, FLOOD_STATES, FLOOD_ALERTS, RAINFALL, CROWD_DENSITY, INCIDENTS, CAMERA_POSITIONS,
)


def registry() -> dict[str, Collection]:
    """Every collection: the built-in ones and each ``geodata`` module's ``SHARED_COLLECTIONS``."""
    from hexops import geodata

    found = {c.id: c for c in BUILT_IN}
    for info in pkgutil.iter_modules(geodata.__path__):
        if info.name == "sharing" or info.name.startswith("_") or info.ispkg:
            continue
        # Only modules that declare collections are imported.
        path = Path(info.module_finder.path) / f"{info.name}.py"
        if not path.exists() or "SHARED_COLLECTIONS" not in path.read_text(encoding="utf-8"):
            continue
        module = importlib.import_module(f"hexops.geodata.{info.name}")
        for extra in getattr(module, "SHARED_COLLECTIONS", ()):
            found.setdefault(extra.id, extra)
    return found


def available(conn: psycopg.Connection, candidates: dict[str, Collection]) -> dict[str, Collection]:
    """The collections whose required tables exist in this database."""
    tables = sorted({t for c in candidates.values() for t in c.requires})
    rows = conn.execute(
        "SELECT t FROM unnest(%s::text[]) AS t WHERE to_regclass(t) IS NOT NULL", (tables,)
    ).fetchall()
    present = {r[0] for r in rows}
    return {cid: c for cid, c in candidates.items() if set(c.requires) <= present}


@dataclass(frozen=True)
class ItemQuery:
    """Filters of an items request.

    Attributes
    ----------
    bbox : tuple of float or None
        (min lon, min lat, max lon, max lat), WGS84 (EPSG:4326) degrees.
    start, end : datetime or None
        Closed interval on ``t``; None leaves that side open.
    limit, offset : int
        Page size and start.
    resolution : int or None
        H3 resolution for hex collections (8, 9, 10).
    k : int
        Suppression threshold.
    """

    bbox: tuple[float, float, float, float] | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 100
    offset: int = 0
    resolution: int | None = None
    k: int = 5


def _params(collection: Collection, query: ItemQuery, resolution: int | None) -> dict[str, Any]:
    bbox = query.bbox or (None, None, None, None)
    return {"res": collection.resolution(resolution), "k": query.k, "xmin": bbox[0], "ymin": bbox[1],
            "xmax": bbox[2], "ymax": bbox[3], "has_bbox": query.bbox is not None,
            "start": query.start, "end": query.end}


_FILTERS = (
    "(NOT %(has_bbox)s OR s.geom && ST_MakeEnvelope(%(xmin)s, %(ymin)s, %(xmax)s, %(ymax)s, 4326)) "
    "AND (%(start)s::timestamptz IS NULL OR s.t >= %(start)s) "
    "AND (%(end)s::timestamptz IS NULL OR s.t <= %(end)s)"
)


def items(conn: psycopg.Connection, collection: Collection, query: ItemQuery) -> tuple[list[dict], int | None]:
    """One page of GeoJSON features, newest first, and the number matched (None past the end)."""
    statement = sql.SQL(
        "SELECT s.fid, ST_AsGeoJSON(s.geom, 7)::jsonb, s.props, count(*) OVER () FROM ({source}) s "
        "WHERE " + _FILTERS + " ORDER BY s.t DESC NULLS LAST, s.fid LIMIT %(limit)s OFFSET %(offset)s"
    ).format(source=sql.SQL(collection.source))
    params = _params(collection, query, query.resolution)
    params.update(limit=query.limit, offset=query.offset)
    rows = conn.execute(statement, params).fetchall()
    features = [{"type": "Feature", "id": fid, "geometry": geometry, "properties": props}
                for fid, geometry, props, _ in rows]
    return features, (int(rows[0][3]) if rows else None)


def item(conn: psycopg.Connection, collection: Collection, fid: str, query: ItemQuery) -> dict | None:
    """One feature by id, or None."""
    statement = sql.SQL(
        "SELECT s.fid, ST_AsGeoJSON(s.geom, 7)::jsonb, s.props FROM ({source}) s WHERE s.fid = %(fid)s"
    ).format(source=sql.SQL(collection.source))
    params = _params(collection, query, query.resolution)
    params["fid"] = fid
    row = conn.execute(statement, params).fetchone()
    if row is None:
        return None
    return {"type": "Feature", "id": row[0], "geometry": row[1], "properties": row[2]}


def tile(conn: psycopg.Connection, collection: Collection, z: int, x: int, y: int, resolution: int | None,
         query: ItemQuery) -> bytes:
    """A Mapbox Vector Tile (EPSG:3857, extent 4096) with the newest feature of each series.

    One MVT layer named after the collection; properties are the same
    (already suppressed) ``props`` as the items.
    """
    statement = sql.SQL(
        "WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS g), "
        "newest AS (SELECT DISTINCT ON (s.series) s.* FROM ({source}) s, env "
        "  WHERE s.geom && ST_Transform(env.g, 4326) AND " + _FILTERS + " "
        "  ORDER BY s.series, s.t DESC NULLS LAST), "
        "mvt AS (SELECT ST_AsMVTGeom(ST_Transform(n.geom, 3857), env.g, 4096, 64, true) AS geom, "
        "  n.fid, n.props FROM newest n, env) "
        "SELECT ST_AsMVT(mvt.*, %(layer)s, 4096, 'geom') FROM mvt WHERE mvt.geom IS NOT NULL"
    ).format(source=sql.SQL(collection.source))
    params = _params(collection, query, resolution)
    params.update(z=z, x=x, y=y, layer=collection.id)
    row = conn.execute(statement, params).fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


def newest(conn: psycopg.Connection, collection: Collection, resolution: int | None) -> datetime | None:
    """The latest ``t`` in the collection (at ``resolution`` for hexagon layers), or None when empty."""
    statement = sql.SQL("SELECT max(s.t) FROM ({source}) s").format(source=sql.SQL(collection.source))
    row = conn.execute(statement, {"res": collection.resolution(resolution), "k": 1}).fetchone()
    return row[0] if row else None
