"""Turning flat events into gateway batches on the stream's partitioned subjects.

A gateway speaks for the cameras of one owner in one district, so batches
are grouped by (owner, district) and published on
``hexops.detections.<owner>.<district>``; a worker pool can then be pinned
to one owner's or one district's subjects.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterator

import numpy as np
import orjson
import pandas as pd

from hexops.ingest import files
from hexops.ingest.known_cameras import CameraRegistry
from hexops.ingest.schema import SCHEMA, nest_event
from hexops.ingest.stream import subject_for


def frame_batches(frame: pd.DataFrame, owners: np.ndarray, districts: np.ndarray,
                  batch_events: int) -> Iterator[tuple[str, bytes, str]]:
    """``(subject, body, batch_id)`` for flat events whose cameras have ``owners``/``districts``.

    The batch id is a hash of the batch's event ids, so publishing the same
    events again yields the same ids (JetStream drops the repeat).
    """
    keys = pd.DataFrame({"owner": owners, "district": districts}).fillna("none")
    for (owner, district), index in keys.groupby(["owner", "district"], sort=True).groups.items():
        group = frame.loc[index]
        subject = subject_for(owner, district)
        for start in range(0, len(group), batch_events):
            part = group.iloc[start:start + batch_events]
            records = [nest_event(r) for r in part.to_dict("records")]
            digest = hashlib.blake2b(
                "\n".join(map(str, part["event_id"].tolist())).encode(), digest_size=12
            ).hexdigest()
            body = orjson.dumps({"schema": SCHEMA, "gateway_id": f"{owner}-{district}", "events": records},
                                option=orjson.OPT_SERIALIZE_NUMPY)
            yield subject, body, digest


def file_batches(path: Path, fmt: str | None, registry: CameraRegistry,
                 batch_events: int) -> Iterator[tuple[str, bytes, str]]:
    """Batches of a file's events; events of unknown cameras go on ``hexops.detections.none.none``
    (the worker rejects them with their reason)."""
    path = Path(path)
    fmt = files.detect_format(path, fmt)
    for _, frame in files.read_chunks(path, fmt, 100_000):
        camera_ids = frame["camera_id"].to_numpy(dtype=object) if "camera_id" in frame.columns else \
            np.full(len(frame), None, dtype=object)
        rows = registry.lookup(np.asarray([c if isinstance(c, str) else "" for c in camera_ids], dtype=object))
        known = rows >= 0
        owners = np.where(known, registry.owners[np.maximum(rows, 0)], None)
        districts = np.where(known, registry.districts[np.maximum(rows, 0)], None)
        yield from frame_batches(frame.reset_index(drop=True), owners, districts, batch_events)
