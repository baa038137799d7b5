"""Reading a video file or an RTSP stream with OpenCV and sampling frames at a fixed rate.

Cameras record at 10-30 frames/s, but people counts and road state change
over seconds: sampling (default once a second) is what lets one edge box
serve dozens of cameras.  Frames between samples are only ``grab``-bed
(demuxed, not converted to BGR), which is much cheaper than ``read``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from hexops.ingest.errors import SourceError


@dataclass(frozen=True)
class SampledFrame:
    """One sampled frame: its capture time (UTC) and pixels (BGR uint8)."""

    at: datetime
    image: np.ndarray


def is_stream(source: str | Path) -> bool:
    return str(source).lower().startswith(("rtsp://", "rtsps://", "http://", "https://"))


class VideoSource:
    """An opened video file or stream.

    Parameters
    ----------
    source : str or Path
        A file path or an ``rtsp://`` URL.
    start : datetime, optional
        Wall-clock time of a file's first frame (UTC offset required).  Streams
        are stamped with the receiving clock instead.
    fallback_fps : float
        Used when the container does not state a frame rate.
    """

    def __init__(self, source: str | Path, start: datetime | None = None, fallback_fps: float = 25.0):
        self.source = str(source)
        self.stream = is_stream(source)
        if not self.stream and not Path(source).is_file():
            raise SourceError(f"{source}: no such video file")
        if start is not None and start.tzinfo is None:
            raise SourceError(f"{source}: start time {start.isoformat()} has no UTC offset")
        self._cap = cv2.VideoCapture(self.source)
        if not self._cap.isOpened():
            raise SourceError(f"{source}: OpenCV cannot open it as video")
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if fps and 0 < fps < 1000 else fallback_fps
        count = self._cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = int(count) if not self.stream and count and count > 0 else None
        self.start = (start or datetime.now(timezone.utc)).astimezone(timezone.utc)

    @property
    def duration_s(self) -> float | None:
        return None if self.frame_count is None else self.frame_count / self.fps

    def close(self) -> None:
        self._cap.release()

    def __enter__(self) -> "VideoSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def frames(self, rate_hz: float = 1.0, on_frame=None) -> Iterator[SampledFrame]:
        """Yield frames sampled every ``1 / rate_hz`` seconds of video time.

        ``on_frame`` is called once per frame read (sampled or not), for progress bars.
        """
        if rate_hz <= 0:
            raise SourceError(f"{self.source}: sampling rate must be positive, got {rate_hz}")
        period = 1.0 / rate_hz
        next_t = 0.0
        index = 0
        while True:
            if not self._cap.grab():
                return
            if self.stream:
                now = datetime.now(timezone.utc)
                t = (now - self.start).total_seconds()
            else:
                # Frame index over the stated rate: POS_MSEC is unreliable for some containers.
                t = index / self.fps
            index += 1
            if on_frame is not None:
                on_frame()
            if t + 1e-9 < next_t:
                continue
            ok, image = self._cap.retrieve()
            if not ok or image is None:
                raise SourceError(f"{self.source}: frame {index - 1} could not be decoded")
            next_t += period * max(1, int((t - next_t) // period) + 1)
            yield SampledFrame(self.start + timedelta(seconds=t), image)
