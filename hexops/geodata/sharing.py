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
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
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
        Whether ``t`` is meaningful (``datetime`` filters apply; never NULL).
    suppressed_fields : tuple of str
        Counts of people or incidents, withheld below k (documented in the API).
    camera_fields : tuple of (str, float or None)
        Properties from which camera counts or positions follow, with the step
        they are coarsened to (None: removed) for readers not granted
        ``camera_positions``.
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
        (min lon, min lat, max lon, max lat), WGS84 (EPSG:4326) degrees.
    start, end : datetime or None
        Closed interval on ``t``; None leaves that side open.
    limit, offset : int
        Page size and start (offset at most :data:`MAX_OFFSET`).
    after : tuple or None
        Keyset cursor: ``(t, fid)`` of the last feature of the previous page
        (``t`` None for timeless collections); the page starts after it.
    resolution : int or None
        H3 resolution for hex collections.
    k : int
        Suppression threshold.
    reveal_cameras : bool
        Whether ``camera_fields`` are published as they are (readers who may
        see camera positions); otherwise they are removed or coarsened.
    timeout_s : float
        Statement timeout of the query, in seconds.
    """

    bbox: tuple[float, float, float, float] | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 100
    offset: int = 0
    after: tuple[datetime | None, str] | None = None
    resolution: int | None = None
    k: int = 5
    reveal_cameras: bool = False
    timeout_s: float = 5.0


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
    bbox = query.bbox or (None, None, None, None)
    hidden = () if query.reveal_cameras else collection.camera_fields
    return {"res": collection.resolution(resolution), "k": query.k, "xmin": bbox[0], "ymin": bbox[1],
            "xmax": bbox[2], "ymax": bbox[3], "has_bbox": query.bbox is not None,
            "start": query.start, "end": query.end,
            "suppressed": list(collection.suppressed_fields),
            "camera_fields": [name for name, _ in hidden], "camera_steps": [step for _, step in hidden]}


def _with_timeout(conn: psycopg.Connection, query: ItemQuery) -> None:
    # SET LOCAL: it ends with the transaction, which the unit of work owns.
    conn.execute("SELECT set_config('statement_timeout', %s, true)", (f"{int(query.timeout_s * 1000)}ms",))


def _run(conn: psycopg.Connection, query: ItemQuery, statement: sql.Composable, params: dict) -> list[tuple]:
    _with_timeout(conn, query)
    try:
        return conn.execute(statement, params).fetchall()
    except psycopg.errors.QueryCanceled as exc:
        raise QueryTooSlow(f"took longer than {query.timeout_s:g} s") from exc


_FILTERS = (
    "(NOT %(has_bbox)s OR s.geom && ST_MakeEnvelope(%(xmin)s, %(ymin)s, %(xmax)s, %(ymax)s, 4326)) "
    "AND (%(start)s::timestamptz IS NULL OR s.t >= %(start)s) "
    "AND (%(end)s::timestamptz IS NULL OR s.t <= %(end)s)"
)


def items(conn: psycopg.Connection, collection: Collection,
          query: ItemQuery) -> tuple[list[dict], tuple[datetime | None, str] | None]:
    """One page of GeoJSON features, newest first (then by id, descending), and where the next starts.

    The second value is the keyset ``(t, fid)`` to pass as ``after`` for the
    next page, or None when this page is the last.

    A page costs its own rows: ``after`` continues from a feature by its
    ``(t, fid)``, which the time index finds directly, and the total is not
    counted (``numberMatched`` would scan the whole collection).
    """
    if collection.temporal:
        order = "s.t DESC, s.fid DESC"
        after = ("AND s.t <= %(after_t)s AND (s.t < %(after_t)s OR s.fid < %(after_fid)s) "
                 "AND (%(window_from)s::timestamptz IS NULL OR s.t >= %(window_from)s)")
    else:
        order = "s.fid DESC"
        after = "AND s.fid < %(after_fid)s"
    statement = sql.SQL(
        "SELECT s.fid, ST_AsGeoJSON(s.geom, 7)::jsonb, s.props, s.t FROM ({shared}) s WHERE " + _FILTERS
        + (" " + after if query.after else "") + " ORDER BY " + order + " LIMIT %(limit)s OFFSET %(offset)s"
    ).format(shared=shared_source(collection))
    params = _params(collection, query, query.resolution)
    params.update(limit=query.limit + 1, offset=query.offset)
    if query.after is None:
        rows = _run(conn, query, statement, params)
    else:
        params.update(after_t=query.after[0], after_fid=query.after[1])
        # The planner reads every row older than the cursor before it sorts, so a page is
        # first looked for in a short window before the cursor, widened until it fills:
        # a page costs the rows of its window, not of the collection's whole past.
        for window in (_KEYSET_WINDOWS if collection.temporal and query.after[0] is not None else (None,)):
            params["window_from"] = None if window is None else query.after[0] - window
            rows = _run(conn, query, statement, params)
            if len(rows) > query.limit:
                break
    page = rows[:query.limit]
    features = [{"type": "Feature", "id": fid, "geometry": geometry, "properties": props}
                for fid, geometry, props, _ in page]
    more = len(rows) > query.limit
    return features, ((page[-1][3], page[-1][0]) if more else None)


def item(conn: psycopg.Connection, collection: Collection, fid: str, query: ItemQuery) -> dict | None:
    """One feature by id, or None.

    An id ending in ``@<time>`` (hexagon buckets, gauge readings, days) is
    looked up at that time, which the time index finds without a scan.
    """
    statement = sql.SQL(
        "SELECT s.fid, ST_AsGeoJSON(s.geom, 7)::jsonb, s.props FROM ({shared}) s WHERE s.fid = %(fid)s "
        "AND (%(fid_t)s::timestamptz IS NULL OR s.t = %(fid_t)s)"
    ).format(shared=shared_source(collection))
    params = _params(collection, query, query.resolution)
    params.update(fid=fid, fid_t=time_in_fid(fid) if collection.temporal else None)
    rows = _run(conn, query, statement, params)
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
    (suppressed, camera-safe) ``props`` as the items.
    """
    statement = sql.SQL(
        "WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS g), "
        "newest AS (SELECT DISTINCT ON (s.series) s.* FROM ({shared}) s, env "
        "  WHERE s.geom && ST_Transform(env.g, 4326) AND " + _FILTERS + " "
        "  ORDER BY s.series, s.t DESC NULLS LAST), "
        "mvt AS (SELECT ST_AsMVTGeom(ST_Transform(n.geom, 3857), env.g, 4096, 64, true) AS geom, "
        "  n.fid, n.props FROM newest n, env) "
        "SELECT ST_AsMVT(mvt.*, %(layer)s, 4096, 'geom') FROM mvt WHERE mvt.geom IS NOT NULL"
    ).format(shared=shared_source(collection))
    params = _params(collection, query, resolution)
    params.update(z=z, x=x, y=y, layer=collection.id)
    rows = _run(conn, query, statement, params)
    return bytes(rows[0][0]) if rows and rows[0][0] is not None else b""


def newest(conn: psycopg.Connection, collection: Collection, resolution: int | None,
           timeout_s: float = 5.0) -> datetime | None:
    """The latest ``t`` in the collection (at ``resolution`` for hexagon layers), or None when empty."""
    statement = sql.SQL("SELECT max(s.t) FROM ({source}) s").format(source=sql.SQL(collection.source))
    rows = _run(conn, ItemQuery(timeout_s=timeout_s), statement, {"res": collection.resolution(resolution)})
    return rows[0][0] if rows else None
