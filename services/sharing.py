"""Shared layers for partners: who may read which collection, reads audited.

What the OGC API and the tile endpoint call.  A partner sees a collection
only while its department holds a live grant of the collection's layer;
commanders, event managers and admins see every collection.  Every read by
a partner is recorded in the audit log (``partner.read``).  Counts are
suppressed below k for everyone, because these are the shared views.
"""

from __future__ import annotations

from dataclasses import replace

import psycopg

from analytics.sharing import resolution_for_zoom
from dashboard.access import User
from geodata import audit
from geodata import sharing as q

#: Roles that may use the shared-layer API at all (grants narrow partners further).
READER_ROLES = ("commander", "event_manager", "partner", "admin")


class NotGranted(PermissionError):
    """The user's department holds no live grant for this collection's layer."""


class UnknownCollection(LookupError):
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


def read_tile(conn: psycopg.Connection, user: User, collection_id: str, z: int, x: int, y: int,
              query: q.ItemQuery) -> bytes:
    """A vector tile; the H3 resolution follows the zoom (see :func:`analytics.sharing.resolution_for_zoom`)."""
    collection = collection_for(conn, user, collection_id)
    data = q.tile(conn, collection, z, x, y, resolution_for_zoom(z), replace(query, resolution=None))
    _audit_read(conn, user, f"tiles/{collection.id}/{z}/{x}/{y}", {"bytes": len(data)})
    return data
