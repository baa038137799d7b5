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

Sources may use one bound parameter, ``%(res)s`` (the H3 resolution), and
publish raw values.  What a reader may not see is *declared* on the
:class:`Collection` and applied here, by :func:`shared_source`, to items and
tiles alike (``hexops_share_props``, migration 037):

- ``suppressed_fields`` (counts of people or incidents): when any of a
  record's counts rounds below k, all of them are withheld (null) and
  ``suppressed`` is true;
- ``camera_fields`` (figures from which camera counts or positions follow):
  removed, or coarsened to a step, unless the reader may see camera positions.

Paging is by keyset (a ``cursor`` naming the last feature seen) or by an
offset of at most :data:`MAX_OFFSET`; every query runs under a statement
timeout, so no request can keep the database busy for long.

Adding a collection (another room's table): define, in your own module
under ``geodata/``, ``SHARED_COLLECTIONS = [Collection(...)]`` with its
source and ``requires=("your_table",)``; :func:`registry` discovers it.
A collection whose required tables do not exist yet is simply not listed.
The built-in collections are in :mod:`geodata.shared_layers`.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from hexops.geodata import sharing_sql
from hexops.geodata.sharing_sql import Binder, SortKey


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
        Whether ``t`` is meaningful (``datetime`` filters apply; never NULL).
    suppressed_fields : tuple of str
        Counts of people or incidents, withheld below k (documented in the API).
    camera_fields : tuple of (str, float or None)
        Properties from which camera counts or positions follow, with the step
        they are coarsened to (None: removed) for readers not granted
        ``camera_positions``.
    properties : tuple of (str, str)
        Every property the source publishes and its type (a key of
        :data:`sharing_sql.SQL_TYPES`: ``string``, ``number``, ``integer``,
        ``boolean``, ``date-time``, ``date``): the queryables, the sort keys,
        the OpenAPI schema and the tiles' field list.
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
    camera_fields: tuple[tuple[str, float | None], ...] = ()
    properties: tuple[tuple[str, str], ...] = ()

    def published_properties(self, reveal_cameras: bool) -> dict[str, str]:
        """The properties a reader receives, by name, with their types.

        Camera fields that are removed for a reader without camera positions
        are absent; ``suppressed`` (boolean) is added when the layer has
        suppressed fields.
        """
        removed = set() if reveal_cameras else {name for name, step in self.camera_fields if step is None}
        fields = {name: kind for name, kind in self.properties if name not in removed}
        if self.suppressed_fields:
            fields["suppressed"] = "boolean"
        return fields

    def resolution(self, wanted: int | None) -> int | None:
        """The resolution to use: ``wanted`` if offered, else the nearest offered one."""
        if not self.resolutions:
            return None
        if wanted is None:
            return 9 if 9 in self.resolutions else self.resolutions[0]
        return min(self.resolutions, key=lambda r: (abs(r - wanted), r))


@functools.cache
def registry() -> dict[str, Collection]:
    """Every collection: the built-in ones first, then each ``geodata`` module's ``SHARED_COLLECTIONS``."""
    from hexops import geodata
    from hexops.geodata.shared_layers import SHARED_COLLECTIONS as BUILT_IN

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



#: Deepest offset a request may ask for; beyond it, follow the ``next`` link (a keyset cursor),
#: which costs the same at any depth (an offset costs the rows it skips).
MAX_OFFSET = 10_000


#: How far before a keyset cursor a page is first looked for, widening in turn (None: no bound).
_KEYSET_WINDOWS = (timedelta(hours=1), timedelta(days=1), timedelta(days=30), None)


class QueryTooSlow(Exception):
    """A shared-layer query ran past its statement timeout and was cancelled."""


@dataclass(frozen=True)
class ItemQuery:
    """Filters of an items or tile request, and what the reader may see.

    Attributes
    ----------
    bbox : tuple of float or None
        (min x, min y, max x, max y) in EPSG ``bbox_srid``, x/y order
        (longitude/easting first, whatever the CRS's own axis order).
    bbox_srid : int
        EPSG code of ``bbox`` (4326: WGS84 degrees).
    start, end : datetime or None
        Closed interval on ``t``; None leaves that side open.
    limit, offset : int
        Page size and start (offset at most :data:`MAX_OFFSET`).
    after : tuple or None
        Keyset cursor: the values of the last feature of the previous page
        in the page's order (see :func:`items`); the page starts after it.
    resolution : int or None
        H3 resolution for hex collections.
    k : int
        Suppression threshold.
    reveal_cameras : bool
        Whether ``camera_fields`` are published as they are (readers who may
        see camera positions); otherwise they are removed or coarsened.
    timeout_s : float
        Statement timeout of the query, in seconds.
    crs_srid : int
        EPSG code of the output geometries (4326 with ``swap_axes`` False: CRS84).
    swap_axes : bool
        Whether output coordinates are latitude/northing first (the CRS's own order).
    condition : sql.Composable or None
        A compiled filter over the published properties (:mod:`geodata.sharing_cql`),
        with its bound parameters in ``condition_params``.
    sortby : tuple of SortKey
        Requested order (published properties); newest first and by id after it.
    not_after : datetime or None
        The product clock's now: nothing later is published (a replay loads
        rain readings ahead of its clock). None: no bound.
    """

    bbox: tuple[float, float, float, float] | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 100
    offset: int = 0
    after: tuple | None = None
    resolution: int | None = None
    k: int = 5
    reveal_cameras: bool = False
    timeout_s: float = 5.0
    bbox_srid: int = 4326
    crs_srid: int = 4326
    swap_axes: bool = False
    condition: sql.Composable | None = None
    condition_params: dict = field(default_factory=dict)
    sortby: tuple[SortKey, ...] = ()
    not_after: datetime | None = None


def shared_source(collection: Collection) -> sql.Composed:
    """The collection's source with its declared fields withheld, removed or coarsened.

    Parameters it binds: ``%(res)s``, ``%(k)s``, ``%(suppressed)s``,
    ``%(camera_fields)s``, ``%(camera_steps)s`` (see :func:`_params`).
    """
    return sql.SQL(
        "SELECT s.fid, s.geom, s.t, s.series, hexops_share_props(s.props, %(suppressed)s::text[], %(k)s, "
        "%(camera_fields)s::text[], %(camera_steps)s::float8[]) AS props FROM ({source}) s"
    ).format(source=sql.SQL(collection.source))


def _params(collection: Collection, query: ItemQuery, resolution: int | None) -> dict[str, Any]:
    hidden = () if query.reveal_cameras else collection.camera_fields
    return {"res": collection.resolution(resolution), "k": query.k,
            "suppressed": list(collection.suppressed_fields),
            "camera_fields": [name for name, _ in hidden], "camera_steps": [step for _, step in hidden]}


def _where(query: ItemQuery, binder: Binder) -> sql.Composable:
    """bbox, datetime and the compiled filter, ANDed (TRUE when none is given)."""
    conditions: list[sql.Composable] = []
    if query.bbox is not None:
        conditions.append(sharing_sql.bbox_condition(query.bbox, query.bbox_srid, binder))
    end = query.end
    if query.not_after is not None:
        end = query.not_after if end is None else min(end, query.not_after)
    conditions += sharing_sql.time_conditions(query.start, end, binder)
    if query.condition is not None:
        conditions.append(query.condition)
    return sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("TRUE")


def _with_timeout(conn: psycopg.Connection, query: ItemQuery) -> None:
    # SET LOCAL: it ends with the transaction, which the unit of work owns.
    conn.execute("SELECT set_config('statement_timeout', %s, true)", (f"{int(query.timeout_s * 1000)}ms",))


def _run(conn: psycopg.Connection, query: ItemQuery, statement: sql.Composable, params: dict) -> list[tuple]:
    _with_timeout(conn, query)
    try:
        return conn.execute(statement, params).fetchall()
    except psycopg.errors.QueryCanceled as exc:
        raise QueryTooSlow(f"took longer than {query.timeout_s:g} s") from exc


def items(conn: psycopg.Connection, collection: Collection, query: ItemQuery) -> tuple[list[dict], tuple | None]:
    """One page of GeoJSON features and where the next starts.

    The order is ``query.sortby`` (published values, withheld ones last),
    then newest first, then by id descending. The second value is the keyset
    (the last feature's sort values, time and id) to pass as ``after`` for
    the next page, or None when this page is the last.

    A page costs its own rows when no ``sortby`` is given: ``after``
    continues from a feature by its ``(t, fid)``, which the time index finds
    directly, looking first in a short window before the cursor.
    """
    binder = Binder("w")
    where = _where(query, binder)
    keys = sharing_sql.sort_values(query.sortby, collection.temporal, binder)
    statement = sql.SQL(
        "SELECT s.fid, {geometry}, s.props, {keys} FROM ({shared}) s WHERE {where} {after} {window} "
        "ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s"
    )
    params = _params(collection, query, query.resolution)
    params.update(limit=query.limit + 1, offset=query.offset)
    windows: tuple = (None,)
    after_sql: sql.Composable = sql.SQL("")
    if query.after is not None:
        after_sql = sql.SQL("AND {}").format(
            sharing_sql.after(query.sortby, collection.temporal, list(query.after), binder))
        if not query.sortby and collection.temporal and query.after[0] is not None:
            after_t = sharing_sql.typed(query.after[0], "timestamptz")
            # Implied by the keyset condition, but only this form lets the time index bound the scan.
            after_sql = sql.SQL("{} AND s.t <= {}").format(after_sql, binder(after_t, "timestamptz"))
            # The planner reads every row older than the cursor before it sorts, so a page is
            # first looked for in a short window before the cursor, widened until it fills:
            # a page costs the rows of its window, not of the collection's whole past.
            windows = _KEYSET_WINDOWS
    composed = {
        "geometry": sharing_sql.geometry_json(query.crs_srid, query.swap_axes, binder),
        "keys": sql.SQL(", ").join(keys), "shared": shared_source(collection), "where": where,
        "after": after_sql, "order": sharing_sql.order_by(query.sortby, collection.temporal, binder)}
    rows: list[tuple] = []
    for window in windows:
        window_sql = sql.SQL("")
        if window is not None:
            window_sql = sql.SQL("AND s.t >= {}").format(binder(after_t - window, "timestamptz"))
        rows = _run(conn, query, statement.format(window=window_sql, **composed),
                    {**params, **binder.params, **query.condition_params})
        if len(rows) > query.limit:
            break
    page = rows[:query.limit]
    features = [{"type": "Feature", "id": row[0], "geometry": row[1], "properties": row[2]} for row in page]
    more = len(rows) > query.limit
    return features, (tuple(_cursor_value(v) for v in page[-1][3:]) if more else None)


def _cursor_value(value: Any) -> Any:
    """A sort value as it travels in a cursor (JSON): times as ISO strings, the rest as they are."""
    return value.isoformat() if isinstance(value, datetime) else value


def matched(conn: psycopg.Connection, collection: Collection, query: ItemQuery) -> int:
    """How many features match ``query``'s bbox, datetime and filter (paging aside): ``numberMatched``.

    It counts features, never sums their figures, and sees the same
    published values as the page, so it says nothing a reader could not
    count by paging; without a filter, the properties are not computed.
    """
    binder = Binder("w")
    statement = sql.SQL("SELECT count(*) FROM ({shared}) s WHERE {where}").format(
        shared=shared_source(collection), where=_where(query, binder))
    params = {**_params(collection, query, query.resolution), **binder.params, **query.condition_params}
    # A savepoint: a count cancelled by the timeout leaves the page's transaction usable.
    with conn.transaction():
        return int(_run(conn, query, statement, params)[0][0])


def item(conn: psycopg.Connection, collection: Collection, fid: str, query: ItemQuery) -> dict | None:
    """One feature by id, or None.

    An id ending in ``@<time>`` (hexagon buckets, gauge readings, days) is
    looked up at that time, which the time index finds without a scan.
    """
    binder = Binder("w")
    fid_t = time_in_fid(fid) if collection.temporal else None
    statement = sql.SQL(
        "SELECT s.fid, {geometry}, s.props FROM ({shared}) s WHERE s.fid = {fid} {at}"
    ).format(geometry=sharing_sql.geometry_json(query.crs_srid, query.swap_axes, binder),
             shared=shared_source(collection), fid=binder(fid, "text"),
             at=sql.SQL("AND s.t = {}").format(binder(fid_t, "timestamptz")) if fid_t else sql.SQL(""))
    rows = _run(conn, query, statement, {**_params(collection, query, query.resolution), **binder.params})
    if not rows:
        return None
    return {"type": "Feature", "id": rows[0][0], "geometry": rows[0][1], "properties": rows[0][2]}


def time_in_fid(fid: str) -> datetime | None:
    """The UTC time a feature id ends with (``...@2026-11-21T08:05Z``, ``...@2026-11-21``), or None."""
    _, sep, tail = fid.rpartition("@")
    if not sep or not tail[:1].isdigit():
        return None
    try:
        value = datetime.fromisoformat(tail.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def tile(conn: psycopg.Connection, collection: Collection, z: int, x: int, y: int, resolution: int | None,
         query: ItemQuery) -> bytes:
    """A Mapbox Vector Tile (EPSG:3857, extent 4096) with the newest feature of each series.

    One MVT layer named after the collection; properties are the same
    (suppressed, camera-safe) ``props`` as the items, and the feature id is
    the property ``id`` (not ``fid``, which GeoPackage keeps for its own key).
    """
    binder = Binder("w")
    statement = sql.SQL(
        "WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS g), "
        "newest AS (SELECT DISTINCT ON (s.series) s.* FROM ({shared}) s, env "
        "  WHERE s.geom && ST_Transform(env.g, 4326) AND {where} "
        "  ORDER BY s.series, s.t DESC NULLS LAST), "
        "mvt AS (SELECT ST_AsMVTGeom(ST_Transform(n.geom, 3857), env.g, 4096, 64, true) AS geom, "
        "  n.fid AS id, n.props FROM newest n, env) "
        "SELECT ST_AsMVT(mvt.*, %(layer)s, 4096, 'geom') FROM mvt WHERE mvt.geom IS NOT NULL"
    ).format(shared=shared_source(collection), where=_where(query, binder))
    params = _params(collection, query, resolution)
    params.update(z=z, x=x, y=y, layer=collection.id, **binder.params, **query.condition_params)
    rows = _run(conn, query, statement, params)
    return bytes(rows[0][0]) if rows and rows[0][0] is not None else b""


def newest(conn: psycopg.Connection, collection: Collection, resolution: int | None,
           timeout_s: float = 5.0) -> datetime | None:
    """The latest ``t`` in the collection (at ``resolution`` for hexagon layers), or None when empty."""
    statement = sql.SQL("SELECT max(s.t) FROM ({source}) s").format(source=sql.SQL(collection.source))
    rows = _run(conn, ItemQuery(timeout_s=timeout_s), statement, {"res": collection.resolution(resolution)})
    return rows[0][0] if rows else None


@dataclass(frozen=True)
class Extent:
    """Where and when a collection has features: WGS84 (CRS84) bbox in degrees and the range of ``t`` (UTC)."""

    bbox: tuple[float, float, float, float] | None
    start: datetime | None
    end: datetime | None


def extent(conn: psycopg.Connection, collection: Collection, timeout_s: float = 5.0) -> Extent:
    """The collection's spatial and temporal extent from its data (at its default resolution)."""
    statement = sql.SQL(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1 FROM "
        "(SELECT ST_Extent(s.geom) AS e, min(s.t) AS t0, max(s.t) AS t1 FROM ({source}) s) x"
    ).format(source=sql.SQL(collection.source))
    with conn.transaction():
        row = _run(conn, ItemQuery(timeout_s=timeout_s), statement, {"res": collection.resolution(None)})[0]
    bbox = None if row[0] is None else (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
    return Extent(bbox, row[4], row[5])
