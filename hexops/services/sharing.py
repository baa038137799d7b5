"""Shared layers for partners: who may read which collection, reads audited.

What the OGC API and the tile endpoint call.  A partner sees a collection
only while its department holds a live grant of the collection's layer;
commanders, event managers and admins see every collection.  Every read by
a partner is recorded in the audit log (``partner.read``).  Counts are
suppressed below k for everyone, because these are the shared views.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta

import psycopg

from hexops.errors import ForbiddenError, NotFoundError
from hexops.analytics.sharing import resolution_for_zoom
from hexops.identity import User
from hexops.geodata import audit
from hexops.geodata import sharing as q

#: Roles that may use the shared-layer API at all (grants narrow partners further).
READER_ROLES = ("commander", "event_manager", "partner", "admin")


class NotGranted(ForbiddenError):
    """The user's department holds no live grant for this collection's layer."""


class UnknownCollection(NotFoundError):
    """No such collection (or its tables do not exist in this database)."""


def may_read(user: User, collection: q.Collection) -> bool:
    if user.role not in READER_ROLES:
        return False
    return user.role != "partner" or collection.layer in user.layers


def visible_collections(conn: psycopg.Connection, user: User) -> list[q.Collection]:
    """Collections this user may read, in registry order."""
    present = q.available(conn, q.registry())
    return [c for c in present.values() if may_read(user, c)]


def collection_for(conn: psycopg.Connection, user: User, collection_id: str) -> q.Collection:
    """The collection, or :class:`UnknownCollection` / :class:`NotGranted`."""
    known = q.registry()
    if collection_id not in known or collection_id not in q.available(conn, {collection_id: known[collection_id]}):
        raise UnknownCollection(collection_id)
    collection = known[collection_id]
    if not may_read(user, collection):
        raise NotGranted(collection_id)
    return collection


def _audit_read(conn: psycopg.Connection, user: User, what: str, details: dict) -> None:
    if user.role == "partner":
        audit.record(conn, actor=user.username, action="partner.read", target=what,
                     details={"department": user.department, "via_token": user.via_token, **details})


def record_page_read(user: User, page_path: str) -> None:
    """Audit a partner's opening of a dashboard page (``partner.read``, target ``page:<path>``)."""
    from hexops.dashboard.context import app_context

    with app_context().db.connection() as conn:
        _audit_read(conn, user, f"page:{page_path}", {})


def read_items(conn: psycopg.Connection, user: User, collection_id: str, query: q.ItemQuery):
    """One page of features: ``(collection, features, number_matched)``."""
    collection = collection_for(conn, user, collection_id)
    features, matched = q.items(conn, collection, query)
    _audit_read(conn, user, f"ogcapi/{collection.id}", {
        "bbox": query.bbox, "start": query.start.isoformat() if query.start else None,
        "end": query.end.isoformat() if query.end else None, "offset": query.offset,
        "returned": len(features)})
    return collection, features, matched


def read_item(conn: psycopg.Connection, user: User, collection_id: str, fid: str, query: q.ItemQuery):
    collection = collection_for(conn, user, collection_id)
    feature = q.item(conn, collection, fid, query)
    _audit_read(conn, user, f"ogcapi/{collection.id}/{fid}", {"found": feature is not None})
    return collection, feature


_NEWEST_TTL_S = 60.0
_newest_cache: dict[tuple[str, str, int | None], tuple[float, datetime | None]] = {}
_newest_lock = threading.Lock()


def newest_time(conn: psycopg.Connection, collection: q.Collection, resolution: int | None) -> datetime | None:
    """The collection's latest time, remembered for a minute per database.

    A map view asks for a score of tiles at once; one ``max(t)`` scan serves them all.
    """
    key = (conn.info.dsn, collection.id, collection.resolution(resolution))
    now = time.monotonic()
    with _newest_lock:
        hit = _newest_cache.get(key)
        if hit is not None and now - hit[0] < _NEWEST_TTL_S:
            return hit[1]
    value = q.newest(conn, collection, resolution)
    with _newest_lock:
        _newest_cache[key] = (now, value)
    return value


def read_tile(conn: psycopg.Connection, user: User, collection_id: str, z: int, x: int, y: int,
              query: q.ItemQuery, default_window: timedelta | None = None) -> bytes:
    """A vector tile; the H3 resolution follows the zoom (see :func:`analytics.sharing.resolution_for_zoom`).

    Without ``query.start``/``end``, a temporal collection is drawn over
    ``default_window`` ending at its newest data, so a map of a quiet (or
    replayed) city is not blank.
    """
    collection = collection_for(conn, user, collection_id)
    resolution = resolution_for_zoom(z)
    if query.start is None and query.end is None and collection.temporal and default_window is not None:
        end = newest_time(conn, collection, resolution)
        if end is None:
            return b""
        query = replace(query, start=end - default_window, end=end)
    data = q.tile(conn, collection, z, x, y, resolution, replace(query, resolution=None))
    _audit_read(conn, user, f"tiles/{collection.id}/{z}/{x}/{y}", {"bytes": len(data)})
    return data
