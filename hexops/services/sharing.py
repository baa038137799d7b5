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

import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from hexops.analytics.sharing import resolution_for_zoom
from hexops.errors import ForbiddenError, NotFoundError, UnavailableError
from hexops.geodata import sharing as q
from hexops.identity import User

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


def read_items(uow, user: User, collection_id: str, query: q.ItemQuery):
    """One page of features: ``(collection, features, next_after)`` (see :func:`geodata.sharing.items`)."""
    with uow:
        collection = _collection_for(uow, user, collection_id)
        what = f"ogcapi/{collection.id}"
        details: dict[str, Any] = {
            "bbox": query.bbox, "start": query.start.isoformat() if query.start else None,
            "end": query.end.isoformat() if query.end else None, "offset": query.offset,
            "after": query.after[1] if query.after else None}
        features, next_after = _read(uow, user, what, details,
                                     lambda: uow.sharing.items(collection, _for_reader(user, query)))
        _audit(uow, user, "partner.read", what, {**details, "returned": len(features)})
        uow.commit()
    return collection, features, next_after


def read_item(uow, user: User, collection_id: str, fid: str, query: q.ItemQuery):
    """One feature by id: ``(collection, feature or None)``."""
    with uow:
        collection = _collection_for(uow, user, collection_id)
        what = f"ogcapi/{collection.id}/{fid}"
        feature = _read(uow, user, what, {}, lambda: uow.sharing.item(collection, fid, _for_reader(user, query)))
        _audit(uow, user, "partner.read", what, {"found": feature is not None})
        uow.commit()
    return collection, feature


_NEWEST_TTL_S = 60.0
_newest_cache: dict[tuple[str, str, int | None], tuple[float, datetime | None]] = {}
_newest_lock = threading.Lock()


def _newest_time(uow, collection: q.Collection, resolution: int | None, timeout_s: float) -> datetime | None:
    """The collection's latest time, remembered for a minute per database.

    A map view asks for a score of tiles at once; one ``max(t)`` scan serves them all.
    """
    key = (uow.conn.info.dsn, collection.id, collection.resolution(resolution))
    now = time.monotonic()
    with _newest_lock:
        hit = _newest_cache.get(key)
        if hit is not None and now - hit[0] < _NEWEST_TTL_S:
            return hit[1]
    value = uow.sharing.newest(collection, resolution, timeout_s)
    with _newest_lock:
        _newest_cache[key] = (now, value)
    return value


def read_tile(uow, user: User, collection_id: str, z: int, x: int, y: int, query: q.ItemQuery,
              default_window: timedelta | None = None) -> bytes:
    """A vector tile; the H3 resolution follows the zoom (see :func:`analytics.sharing.resolution_for_zoom`).

    Without ``query.start``/``end``, a temporal collection is drawn over
    ``default_window`` ending at its newest data, so a map of a quiet (or
    replayed) city is not blank.
    """
    with uow:
        collection = _collection_for(uow, user, collection_id)
        resolution = resolution_for_zoom(z)
        what = f"tiles/{collection.id}/{z}/{x}/{y}"

        def draw() -> bytes:
            tile_query = query
            if query.start is None and query.end is None and collection.temporal and default_window is not None:
                end = _newest_time(uow, collection, resolution, query.timeout_s)
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
