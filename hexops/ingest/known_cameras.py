"""The camera registry as arrays, cached per database and refreshed when it changes.

Validation looks up every event's camera; at 60,000 cameras, reloading the
registry per batch would cost more than the batch.  Migration 020 keeps a
version number that a trigger bumps on any change to ``cameras``, so one
tiny query per batch tells whether the cached arrays are still right.
"""

from __future__ import annotations

from dataclasses import dataclass
from threading import Lock

import numpy as np
import pandas as pd
import psycopg
from cachetools import LRUCache

from hexops.geodata import detections


@dataclass(frozen=True)
class CameraRegistry:
    """Cameras as aligned arrays (row i is one camera).

    Attributes
    ----------
    ids : pandas.Index
        Camera ids (hash-indexed for vectorised lookup).
    owners, districts : numpy.ndarray of object
        Owner department code and district code (or None).
    status : numpy.ndarray of object
    cells : numpy.ndarray, shape (n, 3), int64
        H3 cells of each camera at resolutions 8, 9 and 10 (BIGINT form).
    version : int
        The registry version these arrays were read at.
    """

    ids: pd.Index
    owners: np.ndarray
    districts: np.ndarray
    status: np.ndarray
    cells: np.ndarray
    version: int

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, version: int = 0) -> "CameraRegistry":
        return cls(
            ids=pd.Index(frame["camera_id"].astype(object)),
            owners=frame["owner_code"].to_numpy(dtype=object),
            districts=frame["district_code"].to_numpy(dtype=object),
            status=frame["status"].to_numpy(dtype=object),
            cells=frame[["h3_r8", "h3_r9", "h3_r10"]].to_numpy(dtype=np.int64),
            version=version,
        )

    def lookup(self, camera_ids: np.ndarray) -> np.ndarray:
        """Registry rows of ``camera_ids`` (-1 where unknown or not text), int64."""
        if len(camera_ids) == 0:
            return np.zeros(0, dtype=np.int64)
        return self.ids.get_indexer(pd.Index(camera_ids, dtype=object)).astype(np.int64)

    def retired_mask(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros(len(rows), dtype=bool)
        known = rows >= 0
        out[known] = self.status[rows[known]] == "retired"
        return out


# One registry per database, kept between batches: ingestion is called with a
# bare connection (HTTP, JetStream workers, the video path) and has no
# application context to own this cache. Bounded: a process that sees many
# databases (the test suite) keeps only the most recent few.
_cache: LRUCache = LRUCache(maxsize=4)
_cache_lock = Lock()


def _database_key(conn: psycopg.Connection) -> tuple:
    info = conn.info
    return (info.host, info.port, info.dbname, info.user)


def camera_registry(conn: psycopg.Connection) -> CameraRegistry:
    """The registry of the database behind ``conn``, reloaded only when its version moved."""
    key = _database_key(conn)
    version = detections.registry_version(conn)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None and cached.version == version:
        return cached
    registry = CameraRegistry.from_frame(detections.load_camera_registry(conn), version)
    with _cache_lock:
        _cache[key] = registry
    return registry
