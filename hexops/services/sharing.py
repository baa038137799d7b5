"""Shared layers for partners: who may read which collection, what they may see, every read on record.

What the OGC API, the tile endpoint and the rainfall API call.  A partner
sees a collection only while its department holds a live grant of the
collection's layer; commanders, event managers and admins see every
collection.  Counts are suppressed below k for everyone, because these are
the shared views; figures from which camera counts or positions follow are
published only to readers who may see camera positions.

Every read by a partner -- and every refused one -- is recorded in the audit
log (``partner.read``, ``partner.refused``) in the read's own transaction,
committed before the data leaves.
"""

from __future__ import annotations

import time

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from hexops.analytics.sharing import resolution_for_zoom
from hexops.city import HONG_KONG, City
from hexops.errors import ForbiddenError, InputError, NotFoundError, UnavailableError
from hexops.geodata import sharing as q
from hexops.geodata.sharing_cql import compile_filter
from hexops.geodata.sharing_sql import SortKey
from hexops.identity import User
from hexops.services import shared_metadata

#: Roles that may use the shared-layer API at all (grants narrow partners further).
READER_ROLES = ("commander", "event_manager", "partner", "admin")
#: The layer whose grant lets a partner see camera counts and positions.
CAMERA_LAYER = "camera_positions"


class NotGranted(ForbiddenError):
    """The user's department holds no live grant for this collection's layer."""


class UnknownCollection(NotFoundError):
    """No such collection (or its tables do not exist in this database)."""


class TooSlow(UnavailableError):
    """The query ran past the shared-layer statement timeout; a narrower request may succeed."""


class OutsideData(NotFoundError):
    """A tile outside the layer's zoom range or bounds (its TileJSON says where tiles are)."""


@dataclass(frozen=True)
class Selection:
    """What a request asks beyond the page: a parsed CQL2 filter and a sort order.

    Attributes
    ----------
    filter : pygeofilter AST or None
        The parsed ``filter`` (CQL2 text or JSON), over property names.
    filter_srid, filter_swap, filter_bounds : int, bool, tuple
        CRS of the filter's geometry literals (EPSG code; latitude/northing
        first; where its x/y coordinates may lie).
    equals : tuple of (str, str)
        Part 1 property filters (``?state=flooded``): name and the text value.
    sortby : tuple of (str, bool)
        Property names and whether each sorts descending.
    """

    filter: Any = None
    filter_srid: int = 4326
    filter_swap: bool = False
    filter_bounds: tuple[float, float, float, float] = (-180.0, -90.0, 180.0, 90.0)
    equals: tuple[tuple[str, str], ...] = ()
    sortby: tuple[tuple[str, bool], ...] = ()


def _equals_value(name: str, kind: str, text: str):
    """A property filter's text value as the property's type (a 400 naming the property otherwise)."""
    try:
        if kind in ("number", "integer"):
            return float(text)
        if kind == "boolean":
            return {"true": True, "false": False}[text.lower()]
        if kind == "date-time":
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        if kind == "date":
            return datetime.fromisoformat(text).date()
        return text
    except (ValueError, KeyError):
        raise InputError(f"{name}: {text!r} is not a {kind}", field=name) from None


def compiled(collection: q.Collection, user: User, query: q.ItemQuery, selection: Selection | None) -> q.ItemQuery:
    """``query`` with the selection's filter and sort compiled over what ``user`` is shown.

    Names outside the reader's queryables are a 400 naming them; values are
    bound parameters; the filter reads the published (withheld, coarsened)
    properties, never the raw ones.
    """
    query = _for_reader(user, query)
    if selection is None:
        return query
    fields = collection.published_properties(query.reveal_cameras)
    condition, params = None, {}
    node = selection.filter
    if selection.equals:
        from pygeofilter import ast

        for name, text in selection.equals:
            kind = fields.get(name)
            if kind is None:
                raise InputError(f"{name}: not a queryable of collection {collection.id}", field=name)
            equal = ast.Equal(ast.Attribute(name), _equals_value(name, kind, text))
            node = equal if node is None else ast.And(node, equal)
    if node is not None:
        condition, params = compile_filter(node, fields, srid=selection.filter_srid, swap_axes=selection.filter_swap,
                                           bounds=selection.filter_bounds)
    sortby = []
    for name, descending in selection.sortby:
        if name not in fields:
            raise InputError(f"sortby: {name!r} is not a queryable of collection {collection.id}", field="sortby")
        sortby.append(SortKey(name, fields[name], descending))
    return replace(query, condition=condition, condition_params=params, sortby=tuple(sortby))


def may_read(user: User, collection: q.Collection) -> bool:
    if user.role not in READER_ROLES:
        return False
    return user.role != "partner" or collection.layer in user.layers


def reveals_cameras(user: User) -> bool:
    """Whether ``user`` may see figures from which camera counts or positions follow."""
    return user.role != "partner" or CAMERA_LAYER in user.layers


def visible_collections(uow, user: User) -> list[q.Collection]:
    """Collections this user may read, in registry order."""
    with uow:
        present = uow.sharing.available(q.registry())
    return [c for c in present.values() if may_read(user, c)]


def _collection_for(uow, user: User, collection_id: str) -> q.Collection:
    known = q.registry()
    if collection_id not in known or collection_id not in uow.sharing.available(
            {collection_id: known[collection_id]}):
        raise UnknownCollection(collection_id)
    collection = known[collection_id]
    if not may_read(user, collection):
        if user.role == "partner":
            _audit(uow, user, "partner.refused", f"collection/{collection_id}", {"layer": collection.layer})
            uow.commit()
        raise NotGranted(collection_id)
    return collection


def collection_for(uow, user: User, collection_id: str) -> q.Collection:
    """The collection, or :class:`UnknownCollection` / :class:`NotGranted` (a partner's refusal is audited)."""
    with uow:
        return _collection_for(uow, user, collection_id)


def _audit(uow, user: User, action: str, what: str, details: dict) -> None:
    if user.role == "partner":
        uow.audit.record(actor=user.username, action=action, target=what,
                         details={"department": user.department, "via_token": user.via_token, **details})


def record_page_read(user: User, page_path: str, uow) -> None:
    """Audit a partner's opening of a dashboard page (``partner.read``, target ``page:<path>``)."""
    with uow:
        _audit(uow, user, "partner.read", f"page:{page_path}", {})
        uow.commit()


def record_view_read(uow, user: User, page_path: str, shown_at: str | None, *, cache=None) -> None:
    """Audit a partner's read of a page's data (``partner.read``, target ``page:<path>``, the moment shown).

    A page refreshes every few seconds: each page, moment shown (``shown_at``,
    or live) and minute is recorded once per process (``cache``), so a
    partner reading the flood history moment by moment leaves a row per
    moment, and a page left open leaves one a minute.
    """
    if user.role != "partner":
        return
    details = {"at": shown_at or "live"}

    def write() -> bool:
        with uow:
            _audit(uow, user, "partner.read", f"page:{page_path}", details)
            uow.commit()
        return True

    if cache is None:
        write()
        return
    cache.fact(("partner_view_read", user.username, page_path, details["at"], int(time.time() // 60)), write)


def _for_reader(user: User, query: q.ItemQuery) -> q.ItemQuery:
    return replace(query, reveal_cameras=reveals_cameras(user))


def _read(uow, user: User, what: str, details: dict, read):
    """Run ``read()``; audit it (or its timeout) and commit before returning the data."""
    try:
        result = read()
    except q.QueryTooSlow as exc:
        uow.rollback()
        _audit(uow, user, "partner.read", what, {**details, "error": "timeout"})
        uow.commit()
        raise TooSlow(f"{what}: the query {exc}; ask for a smaller bbox, a shorter datetime or a smaller limit",
                      field="bbox") from exc
    return result


def _count(uow, collection: q.Collection, query: q.ItemQuery, cache) -> int | None:
    """``numberMatched``, remembered for the cache's TTL per reader class and selection; None on timeout."""
    def build() -> int | None:
        try:
            return uow.sharing.matched(collection, query)
        except q.QueryTooSlow:
            return None

    if cache is None:
        return build()
    key = ("shared_matched", uow.conn.info.dsn, collection.id, query.reveal_cameras, query.k, query.resolution,
           query.bbox, query.bbox_srid, query.start, query.end, repr(query.condition),
           # The clock's bound to the minute: counts are remembered about a minute anyway.
           query.not_after.replace(second=0, microsecond=0) if query.not_after else None,
           tuple(sorted((k, repr(v)) for k, v in query.condition_params.items())))
    return cache.fact(key, build)


def read_items(uow, user: User, collection_id: str, query: q.ItemQuery, selection: Selection | None = None,
               cache=None):
    """One page of features: ``(collection, features, next_after, number_matched)``.

    ``number_matched`` counts the features the selection matches (paging
    aside), or is None when counting ran past the statement timeout.
    """
    with uow:
        collection = _collection_for(uow, user, collection_id)
        query = compiled(collection, user, query, selection)
        what = f"ogcapi/{collection.id}"
        details: dict[str, Any] = {
            "bbox": query.bbox, "start": query.start.isoformat() if query.start else None,
            "end": query.end.isoformat() if query.end else None, "offset": query.offset,
            "after": list(query.after) if query.after else None,
            "filter": repr(selection.filter) if selection and selection.filter is not None else None,
            "equals": dict(selection.equals) if selection and selection.equals else None}

        def read():
            try:
                page = uow.sharing.items(collection, query)
            except ValueError as exc:
                raise InputError(f"cursor: not a cursor from this API's next link ({exc})", field="cursor") from None
            return page, _count(uow, collection, query, cache)

        (features, next_after), matched = _read(uow, user, what, details, read)
        _audit(uow, user, "partner.read", what, {**details, "returned": len(features), "matched": matched})
        uow.commit()
    return collection, features, next_after, matched


def read_item(uow, user: User, collection_id: str, fid: str, query: q.ItemQuery):
    """One feature by id: ``(collection, feature or None)``."""
    with uow:
        collection = _collection_for(uow, user, collection_id)
        what = f"ogcapi/{collection.id}/{fid}"
        feature = _read(uow, user, what, {}, lambda: uow.sharing.item(collection, fid, compiled(
            collection, user, query, None)))
        _audit(uow, user, "partner.read", what, {"found": feature is not None})
        uow.commit()
    return collection, feature


def _newest_time(uow, collection: q.Collection, resolution: int | None, timeout_s: float, cache) -> datetime | None:
    """The collection's latest time, remembered for the cache's TTL (a minute) per database.

    A map view asks for a score of tiles at once; one ``max(t)`` scan serves them all.
    """
    def build() -> datetime | None:
        return uow.sharing.newest(collection, resolution, timeout_s)

    if cache is None:
        return build()
    return cache.fact(("shared_newest", uow.conn.info.dsn, collection.id, collection.resolution(resolution)), build)


def tile_limits(uow, collection: q.Collection, *, timeout_s: float = 5.0, cache=None,
                city: City = HONG_KONG) -> shared_metadata.TileLimits:
    """Where the collection has tiles: its data's bounds (the city's when empty) and the zoom range."""
    found = shared_metadata.extent(uow, collection, timeout_s=timeout_s, cache=cache)
    return shared_metadata.TileLimits(shared_metadata.spatial_extent(found, city))


def read_tile(uow, user: User, collection_id: str, z: int, x: int, y: int, query: q.ItemQuery,
              default_window: timedelta | None = None, *, cache=None, city: City = HONG_KONG) -> bytes:
    """A vector tile; the H3 resolution follows the zoom (see :func:`analytics.sharing.resolution_for_zoom`).

    Without ``query.start``/``end``, a temporal collection is drawn over
    ``default_window`` ending at its newest data, so a map of a quiet (or
    replayed) city is not blank. A tile outside the layer's zooms or bounds
    is :class:`OutsideData` (after the grant check, so it says nothing of
    ungranted layers).
    """
    with uow:
        collection = _collection_for(uow, user, collection_id)
        limits = tile_limits(uow, collection, timeout_s=query.timeout_s, cache=cache, city=city)
        if not shared_metadata.tile_has_data(limits, z, x, y):
            raise OutsideData(f"tile {z}/{x}/{y}: outside collection {collection_id} (zooms "
                              f"{limits.min_zoom}-{limits.max_zoom}, bounds {list(limits.bounds)})", field="tile")
        resolution = resolution_for_zoom(z)
        what = f"tiles/{collection.id}/{z}/{x}/{y}"

        def draw() -> bytes:
            tile_query = query
            if query.start is None and query.end is None and collection.temporal and default_window is not None:
                end = _newest_time(uow, collection, resolution, query.timeout_s, cache)
                if end is not None and query.not_after is not None:
                    end = min(end, query.not_after)
                if end is None:
                    return b""
                tile_query = replace(query, start=end - default_window, end=end)
            return uow.sharing.tile(collection, z, x, y, resolution,
                                    _for_reader(user, replace(tile_query, resolution=None)))

        data = _read(uow, user, what, {}, draw)
        _audit(uow, user, "partner.read", what, {"bytes": len(data)})
        uow.commit()
    return data


def read_rainfall(uow, user: User, start: datetime | None, end: datetime | None,
                  window: timedelta = timedelta(hours=1), *,
                  not_after: datetime | None = None) -> tuple[datetime | None, datetime | None, pd.DataFrame]:
    """Rain-gauge readings in ``[start, end]`` (default: the ``window`` up to the latest reading, or up to
    ``not_after``, the product clock's now, when the latest is later); audited.

    Returns ``(start, end, frame)``; ``end`` is None when there are no readings at all.
    """
    with uow:
        if end is None:
            end = uow.rainfall.reading_time_range()[1]
            if end is not None and not_after is not None:
                end = min(end, not_after)
        if end is None:
            frame = pd.DataFrame(columns=["station_id", "observed_at", "mm_per_h", "district_code"])
        else:
            start = start or end - window
            frame = uow.rainfall.readings_between(start, end)
        _audit(uow, user, "partner.read", "api/rainfall", {
            "start": start.isoformat() if start else None, "end": end.isoformat() if end else None,
            "returned": len(frame)})
        uow.commit()
    return start, end, frame
