"""From sampled frames to detection events (schema ``hexops.detections/1``).

Per sampled frame: the quality gate (:mod:`.quality`) first -- an unusable
frame contributes no people and no water state; then people by the regime
switch (:mod:`.counting`: box detector in sparse scenes, density counter in
dense ones), vehicles from the detector's vehicle class when it has one, and
the road against the camera's dry reference (:mod:`.water`; unknown without
one).  Frames are grouped into fixed windows aligned to the clock (default
60 s, so re-analysing a file yields the same windows and the same event ids),
and each window with at least one usable frame becomes one flat event:

- ``people`` / ``vehicles``: mean visible over the window's usable samples, rounded;
- ``water_state``: the state seen in most samples that had one (ties go to
  the wetter); ``water_confidence``: the mean confidence of those samples
  times their share of the usable samples.  When no sample had a state (no
  reference), the event schema -- which has no "unknown" -- gets ``dry`` with
  confidence 0, its documented "no information" encoding;
- ``saturated``: any sample saturated (``people`` is then a lower bound);
- ``model_name``: the counting method used in most samples.

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

from hexops.detectors.base import Detections, Detector
from hexops.detectors.density import DensityCounter
from hexops.ingest.video.counting import PeopleCounter
from hexops.ingest.video.crowding import CrowdingCheck
from hexops.ingest.video.quality import QualityGate
from hexops.ingest.video.reader import SampledFrame
from hexops.ingest.video.water import WaterEstimator

_SEVERITY = {"dry": 0, "wet": 1, "flooded": 2}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class FrameResult:
    """What one sampled frame showed (``usable`` False: ``quality`` says why, and nothing else counts)."""

    at: datetime
    people: int
    vehicles: int
    water_state: str | None
    water_confidence: float
    saturated: bool
    people_low: int | None = None
    people_high: int | None = None
    method: str | None = None
    usable: bool = True
    quality: str | None = None

    def as_json(self) -> dict:
        """The ``hexops video frame`` answer for this frame."""
        if not self.usable:
            return {"people": None, "people_low": None, "people_high": None, "method": None, "saturated": False,
                    "usable": False, "quality": self.quality, "water": {"state": None, "confidence": 0.0}}
        return {"people": self.people, "people_low": self.people_low, "people_high": self.people_high,
                "method": self.method, "saturated": self.saturated, "usable": True, "quality": None,
                "water": {"state": self.water_state, "confidence": self.water_confidence}}


@dataclass
class FrameAnalyser:
    """Quality gate + regime-switched people count + water estimator for one camera.

    ``density`` (a :class:`DensityCounter`) may be None: box detector only,
    with saturation judged from texture and boxes.  ``crowding`` carries the
    camera's empty reference for that judgement.
    """

    detector: Detector
    water: WaterEstimator | None = None
    crowding: CrowdingCheck | None = None
    saturation_count: int = 20
    density: DensityCounter | None = None
    gate: QualityGate | None = None
    walkable: np.ndarray | None = None
    counter: PeopleCounter | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.counter = PeopleCounter(self.detector, self.saturation_count, self.density, self.walkable,
                                     self.crowding)
        if self.gate is None:
            self.gate = QualityGate(self.water.reference if self.water is not None else None)

    @property
    def model_name(self) -> str:
        return self.detector.name if self.density is None else f"{self.detector.name}+{self.density.name}"

    @property
    def model_version(self) -> str:
        return self.detector.version if self.density is None else f"{self.detector.version}+{self.density.version}"

    def analyse(self, frame: SampledFrame) -> FrameResult:
        verdict = self.gate.check(frame.image)
        if not verdict.usable:
            return FrameResult(frame.at, 0, 0, None, 0.0, False, usable=False, quality=verdict.reason)
        found: Detections = self.detector.detect(frame.image)
        estimate = self.counter.count(frame.image, found)
        vehicles = found.count(Detections.VEHICLE)
        if self.water is not None:
            # Texture gained against the empty reference is something standing on the road
            # (people the boxes missed, a crowd); water removes texture, it never adds it.
            hidden = self.crowding.occupants(frame.image) if self.crowding is not None else None
            water = self.water.estimate(frame.image, found.boxes, hidden)
            state, confidence = water.state, (water.confidence if water.state is not None else 0.0)
        else:
            state, confidence = None, 0.0
        return FrameResult(frame.at, estimate.people, vehicles, state, confidence, estimate.saturated,
                           estimate.people_low, estimate.people_high, estimate.method)


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


def _window_event(camera_id: str, window: _Window, end: datetime, model_name: str, model_version: str) -> dict | None:
    results = [r for r in window.results if r.usable]
    if not results:
        return None
    states = Counter(r.water_state for r in results if r.water_state is not None)
    if states:
        state = max(states, key=lambda s: (states[s], _SEVERITY[s]))
        share = states[state] / len(results)
        confidence = float(np.mean([r.water_confidence for r in results if r.water_state == state])) * share
    else:
        state, confidence = "dry", 0.0   # unknown, in the schema's "no information" encoding
    methods = Counter(r.method for r in results if r.method)
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
        "model_name": methods.most_common(1)[0][0] if methods else model_name,
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
            event = _window_event(camera_id, current, current.start + timedelta(seconds=window_s),
                                  model_name, model_version)
            if event is not None:
                yield event
            current = None
        if current is None:
            current = _Window(start)
        current.results.append(result)
        last_at = result.at
    if current is not None:
        end = min(current.start + timedelta(seconds=window_s), last_at + timedelta(seconds=sample_period_s))
        event = _window_event(camera_id, current, end, model_name, model_version)
        if event is not None:
            yield event


def events_frame(events: list[dict]) -> pd.DataFrame:
    """Events as the flat DataFrame :func:`ingest.core.ingest_events` takes."""
    columns = ["event_id", "camera_id", "window_start", "window_end", "people", "vehicles", "water_state",
               "water_confidence", "saturated", "model_name", "model_version"]
    return pd.DataFrame(events, columns=columns)
