"""When is a scene too dense for a box detector?

Box detectors find separable, mostly unoccluded people; in a packed crowd
they find a handful of the hundreds present (the shared SSDLite model finds
3 of 1,546 in dense scenes).  Reporting that handful as "the count" would be
the worst kind of error -- a confident undercount exactly when crowd safety
matters -- so a frame is reported as **saturated** (``people`` is then a lower
bound) when either:

- the count reaches the model's ``saturation_count`` (from the registry: the
  density beyond which that model is known to undercount), or
- much of the scene has gained texture against the dry, empty reference image
  (people, bags, umbrellas add edges; water and shadows remove them) while
  the boxes found explain little of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class CrowdingThresholds:
    """``texture_gain``: gradient magnitude gain (grey levels) that marks a pixel as occupied;
    ``occupied_fraction``: share of the frame occupied from which boxes are checked;
    ``unexplained_share``: share of occupied pixels outside every box that means saturation."""

    texture_gain: float = 40.0
    occupied_fraction: float = 0.2
    unexplained_share: float = 0.6


def _edges(gray: np.ndarray) -> np.ndarray:
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    return cv2.blur(np.abs(gx) + np.abs(gy), (7, 7))


class CrowdingCheck:
    """Saturation test for one camera (reference: its empty, dry scene, BGR uint8)."""

    def __init__(self, reference_bgr: np.ndarray | None, saturation_count: int,
                 thresholds: CrowdingThresholds = CrowdingThresholds()):
        self.saturation_count = saturation_count
        self.thresholds = thresholds
        self._ref_edges = None if reference_bgr is None else _edges(cv2.cvtColor(reference_bgr, cv2.COLOR_BGR2GRAY))

    def occupied(self, frame_bgr: np.ndarray) -> np.ndarray | None:
        """Boolean mask of pixels that gained texture against the reference (None without one)."""
        if self._ref_edges is None:
            return None
        if frame_bgr.shape[:2] != self._ref_edges.shape:
            frame_bgr = cv2.resize(frame_bgr, (self._ref_edges.shape[1], self._ref_edges.shape[0]))
        gain = _edges(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)) - self._ref_edges
        return gain > self.thresholds.texture_gain

    def occupants(self, frame_bgr: np.ndarray) -> np.ndarray | None:
        """Pixels covered by things standing in the scene: :meth:`occupied` edges, closed over
        object-sized gaps (15 px) so that a figure's plain-coloured interior counts too."""
        occupied = self.occupied(frame_bgr)
        if occupied is None:
            return None
        return cv2.morphologyEx(occupied.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8)) > 0

    def saturated(self, frame_bgr: np.ndarray, people: int, boxes: np.ndarray) -> bool:
        if people >= self.saturation_count:
            return True
        occupied = self.occupied(frame_bgr)
        if occupied is None:
            return False
        occupied_fraction = float(occupied.mean())
        if occupied_fraction < self.thresholds.occupied_fraction:
            return False
        outside = occupied.copy()
        for x1, y1, x2, y2 in np.asarray(boxes, int):
            outside[max(y1, 0):max(y2, 0), max(x1, 0):max(x2, 0)] = False
        return float(outside.sum()) / float(occupied.sum()) >= self.thresholds.unexplained_share
