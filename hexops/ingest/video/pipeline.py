"""Running a whole video (file or stream) through the frame analyser into the ingestion core."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import pandas as pd
import psycopg

from hexops.ingest.core import IngestReport, ingest_events
from hexops.ingest.errors import SourceError
from hexops.ingest.video.analyse import FrameAnalyser, events_frame, window_events
from hexops.ingest.video.crowding import CrowdingCheck
from hexops.ingest.video.reader import VideoSource
from hexops.ingest.video.water import WaterEstimator
from hexops.detectors.base import Detector


def load_reference(path: Path | None) -> np.ndarray | None:
    """A camera's dry-weather reference image (BGR), or None when there is none."""
    if path is None or not Path(path).is_file():
        return None
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SourceError(f"{path}: not a readable image")
    return image


def build_analyser(detector: Detector, reference: np.ndarray | None, saturation_count: int) -> FrameAnalyser:
    return FrameAnalyser(
        detector=detector,
        water=WaterEstimator(reference) if reference is not None else None,
        crowding=CrowdingCheck(reference, saturation_count),
        saturation_count=saturation_count,
    )


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
            model_name=analyser.detector.name, model_version=analyser.detector.version,
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
