"""The one detector interface every runner implements (and tests replace with a fake).

A detector takes one BGR frame as OpenCV decodes it (``uint8``, height x
width x 3) and returns person boxes in that frame's pixel coordinates.
Nothing here identifies anyone: a box is a count, never a track or a face.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from hexops.errors import HexopsError


class ModelError(HexopsError):
    """A model file is missing, altered, or does not match its declared contract."""


@dataclass(frozen=True)
class Detections:
    """Boxes found in one frame.

    Attributes
    ----------
    boxes : ndarray, shape (n, 4), float32
        ``x1, y1, x2, y2`` in pixels of the input frame.
    scores : ndarray, shape (n,), float32
        Confidence 0..1.
    labels : ndarray, shape (n,), int
        ``0`` person, ``1`` vehicle.
    """

    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    PERSON = 0
    VEHICLE = 1

    def count(self, label: int = 0) -> int:
        return int(np.count_nonzero(self.labels == label))


@runtime_checkable
class Detector(Protocol):
    """Anything with a name, a version and ``detect(frame) -> Detections``."""

    name: str
    version: str

    def detect(self, frame_bgr: np.ndarray) -> Detections: ...


def non_max_suppression(boxes: np.ndarray, scores: np.ndarray, iou: float = 0.45) -> np.ndarray:
    """Indices of boxes kept by greedy NMS (OpenCV's implementation), best first."""
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    xywh = np.column_stack([boxes[:, 0], boxes[:, 1], boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]])
    import cv2

    kept = cv2.dnn.NMSBoxes(xywh.tolist(), scores.astype(float).tolist(), 0.0, iou)
    return np.asarray(kept, dtype=np.int64).reshape(-1)
