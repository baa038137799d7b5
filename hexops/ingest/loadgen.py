"""A synthetic, deterministic camera registry and event stream for benchmarks and fault tests.

Not the demo city (that is :mod:`ingest.simulator`): this makes any number of
cameras quickly, spread over Hong Kong's bounding box, and a stream where
every camera reports one window per period, so the ground truth of every
aggregate is known exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import orjson
import pandas as pd

from hexops.geodata.h3cells import latlng_to_cells
from hexops.ingest.schema import SCHEMA

#: Owners of synthetic cameras, in proportion to the real network's mix.
OWNERS: tuple[str, ...] = ("HKPF", "HKPF", "HKPF", "HD", "TD", "LCSD", "ImmD")
#: Synthetic districts used in NATS subjects (codes of Hong Kong's 18 districts).
DISTRICTS: tuple[str, ...] = ("CW", "WC", "E", "S", "YTM", "SSP", "KC", "WTS", "KT", "TW", "TM", "YL",
                              "N", "TP", "SK", "ST", "KI", "IS")
#: Land-ish bounding box of Hong Kong, WGS84 degrees (EPSG:4326).
_LAT = (22.20, 22.50)
_LNG = (113.90, 114.35)


def synthetic_cameras(n: int, seed: int = 7) -> pd.DataFrame:
    """``n`` cameras: ``camera_id``, ``owner_code``, ``district``, ``lat``, ``lng``, ``h3_r8..10``.

    Deterministic for a given ``(n, seed)``.  Points are uniform over the
    bounding box (some fall in the sea: ingestion does not care).
    """
    rng = np.random.default_rng(seed)
    lat = rng.uniform(*_LAT, n)
    lng = rng.uniform(*_LNG, n)
    frame = pd.DataFrame({
        "camera_id": [f"SYN-{i:06d}" for i in range(n)],
        "owner_code": np.asarray(OWNERS, dtype=object)[rng.integers(0, len(OWNERS), n)],
        "district": np.asarray(DISTRICTS, dtype=object)[rng.integers(0, len(DISTRICTS), n)],
        "lat": lat,
        "lng": lng,
    })
    for resolution in (8, 9, 10):
        frame[f"h3_r{resolution}"] = latlng_to_cells(lat, lng, resolution)
    return frame


@dataclass(frozen=True)
class StreamSpec:
    """A stream where every camera reports a window of ``period_s`` every ``period_s`` seconds.

    Attributes
    ----------
    start : datetime
        UTC start of the first window.
    seconds : int
        Length of the stream in seconds of event time.
    period_s : int
        Window length and reporting period, seconds.
    seed : int
    """

    start: dt.datetime
    seconds: int
    period_s: int = 1
    seed: int = 11


def stream_frames(cameras: pd.DataFrame, spec: StreamSpec) -> Iterator[pd.DataFrame]:
    """One flat events DataFrame per reporting period (all cameras), in time order.

    Counts are drawn per camera and period from a seeded generator, so the
    same spec always yields the same events.  Times are ISO-8601 strings in
    UTC with a ``+00:00`` offset, as gateways send them.
    """
    rng = np.random.default_rng(spec.seed)
    n = len(cameras)
    base_people = rng.gamma(2.0, 4.0, n)
    ids = cameras["camera_id"].to_numpy(dtype=object)
    t0 = pd.Timestamp(spec.start).tz_convert("UTC")
    for k in range(0, spec.seconds, spec.period_s):
        start = t0 + pd.Timedelta(seconds=k)
        end = start + pd.Timedelta(seconds=spec.period_s)
        water = rng.choice(np.array(["dry", "wet", "flooded"], dtype=object), n, p=[0.9, 0.08, 0.02])
        stamp = str(int(start.timestamp()))
        yield pd.DataFrame({
            "event_id": pd.Series(ids, dtype=object) + ("@" + stamp),
            "camera_id": ids,
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
            "people": rng.poisson(base_people),
            "vehicles": rng.poisson(1.5, n),
            "water_state": water,
            "water_confidence": np.round(rng.uniform(0.5, 1.0, n), 3),
            "saturated": rng.random(n) < 0.001,
            "model_name": "synthetic",
            "model_version": "1",
        })


def batch_bytes(frame: pd.DataFrame, gateway_id: str) -> bytes:
    """The nested JSON batch (``hexops.detections/1``) of a flat events frame."""
    cols = {c: frame[c].tolist() for c in frame.columns}
    events = [
        {"event_id": e, "camera_id": c, "window_start": s, "window_end": w, "people": p, "vehicles": v,
         "water": {"state": ws, "confidence": wc}, "saturated": sat,
         "model": {"name": mn, "version": mv}}
        for e, c, s, w, p, v, ws, wc, sat, mn, mv in zip(
            cols["event_id"], cols["camera_id"], cols["window_start"], cols["window_end"], cols["people"],
            cols["vehicles"], cols["water_state"], cols["water_confidence"], cols["saturated"],
            cols["model_name"], cols["model_version"])
    ]
    return orjson.dumps({"schema": SCHEMA, "gateway_id": gateway_id, "events": events})


def gateway_bodies(frame: pd.DataFrame, owners: np.ndarray, districts: np.ndarray,
                   batch_events: int = 2_000) -> list[tuple[str, bytes, str]]:
    """``(subject, body, batch_id)`` gateway batches of a flat frame, serialised with string ops.

    The same JSON as :func:`batch_bytes`, built column-wise so that a
    benchmark can prepare millions of events in seconds.
    """
    from hexops.ingest.stream import subject_for

    q = '"'
    text = ('{"event_id":"' + frame["event_id"].astype(str) + '","camera_id":"' + frame["camera_id"].astype(str)
            + '","window_start":"' + frame["window_start"].astype(str) + '","window_end":"'
            + frame["window_end"].astype(str) + q + ',"people":' + frame["people"].astype(str)
            + ',"vehicles":' + frame["vehicles"].astype(str) + ',"water":{"state":"'
            + frame["water_state"].astype(str) + '","confidence":' + frame["water_confidence"].astype(str)
            + '},"saturated":' + np.where(frame["saturated"].to_numpy(), "true", "false")
            + ',"model":{"name":"' + frame["model_name"].astype(str) + '","version":"'
            + frame["model_version"].astype(str) + '"}}')
    keys = pd.DataFrame({"owner": owners, "district": districts, "text": text.to_numpy()})
    out = []
    for (owner, district), group in keys.groupby(["owner", "district"], sort=True):
        subject = subject_for(owner, district)
        texts = group["text"].tolist()
        for start in range(0, len(texts), batch_events):
            part = texts[start:start + batch_events]
            body = ('{"schema":"' + SCHEMA + '","gateway_id":"' + f"{owner}-{district}" + '","events":['
                    + ",".join(part) + "]}").encode()
            batch_id = f"{owner}-{district}-{frame['window_start'].iat[0]}-{start}"
            out.append((subject, body, batch_id))
    return out


def ground_truth_camera_minute(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Exact per camera-minute ``n_events`` and ``people_s`` of whole-minute-aligned windows.

    Valid for streams whose windows never straddle a minute (period divides 60).
    """
    flat = pd.concat(frames, ignore_index=True)
    start = pd.to_datetime(flat["window_start"], utc=True)
    seconds = (pd.to_datetime(flat["window_end"], utc=True) - start).dt.total_seconds()
    flat = flat.assign(minute=start.dt.floor("min"), people_s=flat["people"] * seconds)
    return (flat.groupby(["camera_id", "minute"], as_index=False)
            .agg(n_events=("event_id", "size"), people_s=("people_s", "sum")))
