"""From sampled frames to detection events (schema ``hexops.detections/1``).

Per sampled frame: count people (and vehicles, when the model has a vehicle
class) with a :class:`models.base.Detector`, judge the road against the
camera's dry reference, and test for saturation.  Frames are grouped into
fixed windows aligned to the clock (default 60 s, so re-analysing a file
yields the same windows and the same event ids), and each window becomes one
flat event:

- ``people`` / ``vehicles``: mean visible over the window's samples, rounded;
- ``water_state``: the state seen in most samples (ties go to the wetter);
  ``water_confidence``: the mean confidence of those samples times their
  share; without a reference image the state is ``dry`` with confidence 0
  (no information, not a claim);
- ``saturated``: any sample saturated (``people`` is then a lower bound).

Events go through :func:`ingest.core.ingest_events` like every other source.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterable, Iterator

import numpy as np
import pandas as pd

from hexops.ingest.video.crowding import CrowdingCheck
from hexops.ingest.video.reader import SampledFrame
from hexops.ingest.video.water import WaterEstimator
from hexops.detectors.base import Detections, Detector

_SEVERITY = {"dry": 0, "wet": 1, "flooded": 2}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class FrameResult:
    """What one sampled frame showed."""

    at: datetime
    people: int
    vehicles: int
    water_state: str
    water_confidence: float
    saturated: bool


@dataclass
class FrameAnalyser:
    """Detector + water estimator + saturation check for one camera."""

    detector: Detector
    water: WaterEstimator | None = None
    crowding: CrowdingCheck | None = None
    saturation_count: int = 20

    def analyse(self, frame: SampledFrame) -> FrameResult:
        found: Detections = self.detector.detect(frame.image)
        people = found.count(Detections.PERSON)
        vehicles = found.count(Detections.VEHICLE)
        if self.water is not None:
            estimate = self.water.estimate(frame.image, found.boxes)
            state, confidence = estimate.state, estimate.confidence
        else:
            state, confidence = "dry", 0.0
        crowding = self.crowding or CrowdingCheck(None, self.saturation_count)
        saturated = crowding.saturated(frame.image, people, found.boxes[found.labels == Detections.PERSON])
        return FrameResult(frame.at, people, vehicles, state, confidence, saturated)


def window_start(at: datetime, window_s: int) -> datetime:
    """The start of the clock-aligned window holding ``at`` (UTC)."""
    seconds = int((at - _EPOCH).total_seconds() // window_s) * window_s
    return _EPOCH + timedelta(seconds=seconds)


def event_id(camera_id: str, start: datetime, model_name: str, model_version: str) -> str:
    """Deterministic, so re-analysing the same footage is idempotent in ingestion."""
    digest = hashlib.sha1(f"{camera_id}|{start.isoformat()}|{model_name}|{model_version}".encode()).hexdigest()
    return f"vid-{digest[:40]}"


@dataclass
class _Window:
    start: datetime
    results: list[FrameResult] = field(default_factory=list)


def _window_event(camera_id: str, window: _Window, end: datetime, model_name: str, model_version: str) -> dict:
    results = window.results
    states = Counter(r.water_state for r in results)
    state = max(states, key=lambda s: (states[s], _SEVERITY[s]))
    share = states[state] / len(results)
    confidence = float(np.mean([r.water_confidence for r in results if r.water_state == state])) * share
    return {
        "event_id": event_id(camera_id, window.start, model_name, model_version),
        "camera_id": camera_id,
        "window_start": window.start,
        "window_end": end,
        "people": int(round(np.mean([r.people for r in results]))),
        "vehicles": int(round(np.mean([r.vehicles for r in results]))),
        "water_state": state,
        "water_confidence": round(confidence, 3),
        "saturated": any(r.saturated for r in results),
        "model_name": model_name,
        "model_version": model_version,
    }


def window_events(
    camera_id: str, results: Iterable[FrameResult], *, window_s: int, sample_period_s: float,
    model_name: str, model_version: str,
) -> Iterator[dict]:
    """Group frame results into clock-aligned windows; yield one flat event per window.

    A window's end is its boundary, or for the last (partial) window the last
    sample's time plus one sampling period.
    """
    if not 0 < window_s <= 600:
        raise ValueError(f"window_s: must be in 1..600 seconds, got {window_s}")
    current: _Window | None = None
    last_at: datetime | None = None
    for result in results:
        start = window_start(result.at, window_s)
        if current is not None and start != current.start:
            yield _window_event(camera_id, current, current.start + timedelta(seconds=window_s),
                                model_name, model_version)
            current = None
        if current is None:
            current = _Window(start)
        current.results.append(result)
        last_at = result.at
    if current is not None:
        end = min(current.start + timedelta(seconds=window_s), last_at + timedelta(seconds=sample_period_s))
        yield _window_event(camera_id, current, end, model_name, model_version)


def events_frame(events: list[dict]) -> pd.DataFrame:
    """Events as the flat DataFrame :func:`ingest.core.ingest_events` takes."""
    columns = ["event_id", "camera_id", "window_start", "window_end", "people", "vehicles", "water_state",
               "water_confidence", "saturated", "model_name", "model_version"]
    return pd.DataFrame(events, columns=columns)
