"""Running a whole video (file or stream) through the frame analyser into the ingestion core."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import pandas as pd
import psycopg

from hexops.detectors.base import Detector
from hexops.detectors.density import DensityCounter
from hexops.detectors.registry import DENSITY_MODEL, Registry
from hexops.detectors.runners import build_detector
from hexops.ingest.core import IngestReport, ingest_events
from hexops.ingest.errors import SourceError
from hexops.ingest.video.analyse import FrameAnalyser, FrameResult, events_frame, window_events
from hexops.ingest.video.crowding import CrowdingCheck
from hexops.ingest.video.reader import SampledFrame, VideoSource
from hexops.ingest.video.roadmask import derive_road_mask, load_road_mask
from hexops.ingest.video.water import WaterEstimator


def load_reference(path: Path | None) -> np.ndarray | None:
    """A camera's dry-weather reference image (BGR), or None when there is none."""
    if path is None or not Path(path).is_file():
        return None
    return read_image(path)


def read_image(path: Path) -> np.ndarray:
    """An image file as BGR uint8; a missing file or one that is not an image is named."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: no such image file")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SourceError(f"{path}: not a readable image (OpenCV cannot decode it)")
    return image


def build_analyser(detector: Detector, reference: np.ndarray | None, saturation_count: int,
                   density: DensityCounter | None = None, road_mask: np.ndarray | None = None) -> FrameAnalyser:
    """The frame analyser for one camera (``road_mask`` None: derived from the reference)."""
    return FrameAnalyser(
        detector=detector,
        water=WaterEstimator(reference, road_mask) if reference is not None else None,
        crowding=CrowdingCheck(reference, saturation_count) if reference is not None else None,
        saturation_count=saturation_count,
        density=density,
    )


@dataclass(frozen=True)
class CameraSetup:
    """Everything a camera's analysis is built from, with notes for the operator (stderr)."""

    analyser: FrameAnalyser
    notes: tuple[str, ...]


def camera_setup(registry: Registry, *, reference: Path | None, road_mask: Path | None = None,
                 model_name: str | None = None, use_density: bool = True) -> CameraSetup:
    """The analyser a camera gets: preferred detector, density counter when built, reference and road mask.

    Every fallback is named in ``notes``: the last-resort detector, an absent
    density counter (then dense scenes are flagged ``saturated`` rather than
    counted), an absent reference (then the water state is unknown).
    """
    notes: list[str] = []
    if model_name:
        spec = registry.load(model_name)
    else:
        spec, note = registry.default_detector()
        if note:
            notes.append(note)
    density = None
    if use_density:
        density_spec = registry.get(DENSITY_MODEL)
        if density_spec.available():
            density = DensityCounter(registry.load(DENSITY_MODEL))
        else:
            notes.append(f"density counter {DENSITY_MODEL} is absent ({density_spec.path}; build it with "
                         f"`hexops video models build`): falling back to {spec.name} boxes alone, dense scenes "
                         "are reported saturated (a lower bound), not counted")
    ref = load_reference(reference)
    if ref is None:
        notes.append(f"no reference image{f' at {reference}' if reference else ''}: the water state is unknown")
        mask = None
    else:
        mask = load_road_mask(road_mask, ref.shape[:2]) if road_mask is not None else None
        if mask is None:
            mask, found = derive_road_mask(ref)
            notes.append("no drawn road mask: the road is derived from the reference (near-grey, "
                         "fine-grained, reaching the bottom edge)" if found else
                         "no drawn road mask and no road found in the reference: the lower 40 % of the frame "
                         "is assumed to be road (draw one with `hexops video road-mask`)")
    return CameraSetup(build_analyser(build_detector(spec), ref, spec.saturation_count, density, mask), tuple(notes))


def analyse_video(
    source: str | Path, camera_id: str, analyser: FrameAnalyser, *, start: datetime | None = None,
    rate_hz: float = 1.0, window_s: int = 60, on_frame: Callable[[], None] | None = None,
    on_open: Callable[[VideoSource], None] | None = None,
) -> pd.DataFrame:
    """Detection events (flat DataFrame) for one camera's video.

    Parameters
    ----------
    source : str or Path
        Video file or ``rtsp://`` URL (a stream is read until it ends).
    start : datetime, optional
        Wall-clock time of a file's first frame (with UTC offset).
    rate_hz : float
        Frames analysed per second of video.
    window_s : int
        Event window length (seconds, 1..600), aligned to the clock.
    on_frame, on_open : callable, optional
        Progress hooks: per frame read, and once with the opened source.
    """
    with VideoSource(source, start=start) as video:
        if on_open is not None:
            on_open(video)
        results = (analyser.analyse(frame) for frame in video.frames(rate_hz, on_frame))
        events = list(window_events(
            camera_id, results, window_s=window_s, sample_period_s=1.0 / rate_hz,
            model_name=analyser.model_name, model_version=analyser.model_version,
        ))
    return events_frame(events)


def ingest_video_events(conn: psycopg.Connection, events: pd.DataFrame, source: str,
                        now: datetime | None = None) -> IngestReport:
    """Hand the events to the one validation and aggregation core (atomic)."""
    return ingest_events(conn, events, source=f"video:{source}", now=now)


def median_reference(source: str | Path, samples: int = 25) -> np.ndarray:
    """A dry-weather reference from footage of an empty, dry scene: the per-pixel median
    of ``samples`` frames spread over the clip, which removes passers-by."""
    with VideoSource(source) as video:
        if video.frame_count is None:
            raise SourceError(f"{source}: a reference needs a file of known length, not a stream")
        rate = samples / max(video.duration_s or 1.0, 1e-6)
        frames = [f.image for f in video.frames(rate)]
    if not frames:
        raise SourceError(f"{source}: no frames decoded")
    return np.median(np.stack(frames), axis=0).astype(np.uint8)


def analyse_still(analyser: FrameAnalyser, image_path: Path, at: datetime | None = None) -> FrameResult:
    """One still image through the same path as a video's frames (quality gate, count, water)."""
    image = read_image(image_path)
    return analyser.analyse(SampledFrame(at or datetime.now(timezone.utc), image))
