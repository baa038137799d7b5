"""Pure aggregation of validated events into camera-minute and hex-5-minute sums.

An event's window ``[start, end)`` is split at bucket boundaries and each
piece contributes ``count x seconds`` of overlap, so sums stay additive: a
late or split event adds to exactly the buckets it covers.  Per bucket,
``n_events`` and ``saturated_n`` count the events that overlap it.

Water: ``wet_s`` is seconds observed ``wet`` and ``flooded_s`` seconds
observed ``flooded`` (disjoint; ``dry`` adds to neither).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata.detections import AGG_COLUMNS
from geodata.h3cells import RESOLUTIONS

NS = 1_000_000_000
MINUTE_S = 60
HEX_BUCKET_S = 300


def split_windows(valid: pd.DataFrame, bucket_s: int) -> pd.DataFrame:
    """One row per (event, bucket) piece, with the piece's overlap in seconds.

    Parameters
    ----------
    valid : DataFrame
        Validated events (see :class:`ingest.validate.Validated`).
    bucket_s : int
        Bucket length in seconds; buckets are aligned to the UTC epoch.

    Returns
    -------
    DataFrame with ``camera_idx``, ``bucket_s`` (epoch seconds of the bucket
    start), ``overlap_s`` and the event's measures.
    """
    length = bucket_s * NS
    start = valid["start_ns"].to_numpy(np.int64)
    end = valid["end_ns"].to_numpy(np.int64)
    first = start // length
    last = (end - 1) // length
    pieces = (last - first + 1).astype(np.int64)
    owner = np.repeat(np.arange(len(valid)), pieces)
    offsets = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    bucket = (first[owner] + offsets) * length
    overlap = np.minimum(end[owner], bucket + length) - np.maximum(start[owner], bucket)
    overlap_s = overlap / NS
    water = valid["water"].to_numpy()[owner]
    people = valid["people"].to_numpy()[owner]
    vehicles = valid["vehicles"].to_numpy()[owner]
    return pd.DataFrame({
        "camera_idx": valid["camera_idx"].to_numpy()[owner],
        "bucket_s": bucket // NS,
        "n_events": np.ones(len(owner), dtype=np.int64),
        "covered_s": overlap_s,
        "people_s": people * overlap_s,
        "vehicles_s": vehicles * overlap_s,
        "wet_s": np.where(water == 1, overlap_s, 0.0),
        "flooded_s": np.where(water == 2, overlap_s, 0.0),
        "saturated_n": valid["saturated"].to_numpy()[owner].astype(np.int64),
        "people_max": people,
        "vehicles_max": vehicles,
        "water_conf_max": valid["conf"].to_numpy()[owner],
    })


_AGG = {c: ("max" if c.endswith("_max") else "sum") for c in AGG_COLUMNS}


def _group(pieces: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return pieces.groupby(keys, sort=False, as_index=False).agg(_AGG)


def camera_minute(valid: pd.DataFrame, camera_ids: pd.Index) -> pd.DataFrame:
    """Per (camera, minute) sums: ``camera_id``, ``minute_s`` and :data:`AGG_COLUMNS`."""
    grouped = _group(split_windows(valid, MINUTE_S), ["camera_idx", "bucket_s"])
    grouped.insert(0, "camera_id", camera_ids.to_numpy()[grouped["camera_idx"].to_numpy()])
    return grouped.rename(columns={"bucket_s": "minute_s"}).drop(columns="camera_idx")


def hex_5min(valid: pd.DataFrame, cells: np.ndarray) -> pd.DataFrame:
    """Per (H3 cell, 5-minute bucket) sums at resolutions 8, 9 and 10.

    ``cells`` is the registry's (n_cameras, 3) int64 array of each camera's
    cells.  Cameras are summed first per 5 minutes, then spread to their
    three cells, so the second grouping works on far fewer rows.
    """
    per_camera = _group(split_windows(valid, HEX_BUCKET_S), ["camera_idx", "bucket_s"])
    idx = per_camera["camera_idx"].to_numpy()
    parts = []
    for column, resolution in enumerate(RESOLUTIONS):
        part = per_camera.drop(columns="camera_idx")
        part.insert(0, "h3", cells[idx, column])
        part.insert(1, "resolution", resolution)
        parts.append(part)
    stacked = pd.concat(parts, ignore_index=True)
    return _group(stacked, ["h3", "resolution", "bucket_s"])
