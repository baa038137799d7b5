"""OpenCV's HOG + linear SVM people detector: the zero-download default.

Dalal and Triggs' pedestrian model ships inside OpenCV (opencv-python-headless
below 5 still has it), so hexops counts people with no model file at all.  It
finds upright people at least 64x128 pixels; frames are upscaled so that
smaller figures reach that size, at the cost of speed (see bench/video.py).
"""

from __future__ import annotations

import cv2
import numpy as np

from hexops.detectors.base import Detections, non_max_suppression


class HogPeopleDetector:
    """People boxes from OpenCV's default HOG people detector.

    Parameters
    ----------
    upscale : float
        Resize factor applied before detection (people must be >= 64x128 px after it).
    hit_threshold : float
        SVM margin; higher finds fewer, surer people.
    """

    name = "opencv-hog-people"
    version = cv2.__version__

    def __init__(self, upscale: float = 1.0, hit_threshold: float = 0.0, win_stride: int = 8,
                 name: str | None = None, version: str | None = None):
        self.name = name or self.name
        self.version = version or self.version
        self.upscale = upscale
        self.hit_threshold = hit_threshold
        self.win_stride = (win_stride, win_stride)
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    def detect(self, frame_bgr: np.ndarray) -> Detections:
        image = frame_bgr
        if self.upscale != 1.0:
            image = cv2.resize(frame_bgr, None, fx=self.upscale, fy=self.upscale, interpolation=cv2.INTER_LINEAR)
        rects, weights = self._hog.detectMultiScale(
            image, hitThreshold=self.hit_threshold, winStride=self.win_stride, padding=(8, 8), scale=1.05
        )
        if len(rects) == 0:
            return Detections()
        rects = np.asarray(rects, np.float32) / self.upscale
        boxes = np.column_stack([rects[:, 0], rects[:, 1], rects[:, 0] + rects[:, 2], rects[:, 1] + rects[:, 3]])
        # SVM margins are unbounded; a logistic squashes them to 0..1 for the common score field.
        scores = (1.0 / (1.0 + np.exp(-np.asarray(weights, np.float32).reshape(-1)))).astype(np.float32)
        keep = non_max_suppression(boxes, scores, 0.45)
        return Detections(boxes[keep].astype(np.float32), scores[keep], np.zeros(len(keep), np.int64))
