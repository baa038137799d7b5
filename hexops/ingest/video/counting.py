"""People in one frame: a box detector when the scene is sparse, a density counter when it is dense.

The two kinds of counter fail in opposite scenes.  A box detector counts the
people it can separate and finds a handful in a packed crowd; the density
counter (CSRNet) keeps counting in a crowd but adds a floor of "people" on
clutter in an empty or sparse scene.  So each frame is first classed:

**dense** when the density map puts more people at spacings the detector
cannot resolve than the detector could possibly have missed: the mass in
cells denser than one person per ``resolvable_spacing_px``-pixel square
exceeds the detector's count plus its registry ``saturation_count``.  The
spacing is the detector's: people closer than about one anchor stride of
SSDLite (16 px at its 300-px input, about 25 px in a 640-px frame's tile)
cannot get boxes of their own.  Both sides of the test grow with density:
packed mass rises, box counts fall.

- sparse: ``people`` = boxes; the band runs from the boxes (each is somebody)
  to the boxes plus the packed mass plus two standard deviations of a
  Poisson miss count (people hidden behind others).
- dense: ``people`` = the density map's mass over the walkable area; the band
  is +/- ``density_rel_error`` (CSRNet's published mean absolute error on
  ShanghaiTech Part A is 68 people on crowds averaging 501, about 14 %; 20 %
  allows for other cameras).

Without a density counter, the detector counts every frame, and the scene is
judged dense (``saturated``: ``people`` is a lower bound) when boxes reach
the saturation count, when boxes pile onto each other, or when fine texture
covers most of the walkable area with the boxes explaining little of it
(with the camera's empty reference: the texture gained against it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from hexops.detectors.base import Detections, Detector
from hexops.detectors.density import DensityCounter
from hexops.ingest.video.crowding import CrowdingCheck


@dataclass(frozen=True)
class RegimeConfig:
    """Constants of the regime switch (pixels are the density counter's input pixels).

    Attributes
    ----------
    resolvable_spacing_px : float
        Closest spacing at which the box detector still separates people.
    density_rel_error : float
        Relative half-width of the density counter's band.
    overlap_iou : float
        Boxes overlapping at least this much are "piled up"...
    overlap_share : float
        ...and a frame where this share of (at least four) boxes pile up is dense.
    texture_level : float
        Fine-scale (difference of Gaussians, sigma 1 and 3 px) energy, grey
        levels, that marks a pixel as textured: about three times sensor noise.
    texture_share : float
        Share of the walkable area textured from which, without a density
        counter, a crowd cannot be ruled out...
    boxes_explain : float
        ...unless the boxes cover at least this share (half) of the textured pixels.
    """

    resolvable_spacing_px: float = 25.0
    density_rel_error: float = 0.2
    overlap_iou: float = 0.3
    overlap_share: float = 0.5
    texture_level: float = 8.0
    texture_share: float = 0.6
    boxes_explain: float = 0.5


@dataclass(frozen=True)
class PeopleEstimate:
    """People in one frame, with the band, the method and whether the count is a lower bound."""

    people: int
    people_low: int
    people_high: int
    method: str
    saturated: bool
    regime: str                  # "sparse" | "dense"
    signals: dict = field(default_factory=dict)


def piled_share(boxes: np.ndarray, iou: float) -> float:
    """Share of boxes that overlap another box by at least ``iou``."""
    n = len(boxes)
    if n < 2:
        return 0.0
    x1, y1, x2, y2 = (boxes[:, i][:, None] for i in range(4))
    ix = np.clip(np.minimum(x2, x2.T) - np.maximum(x1, x1.T), 0, None)
    iy = np.clip(np.minimum(y2, y2.T) - np.maximum(y1, y1.T), 0, None)
    inter = ix * iy
    area = (x2 - x1) * (y2 - y1)
    union = area + area.T - inter
    overlap = np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)
    np.fill_diagonal(overlap, 0.0)
    return float((overlap.max(axis=1) >= iou).mean())


def fine_texture(frame_bgr: np.ndarray, level: float) -> np.ndarray:
    """Pixels with head-scale texture (difference of Gaussians), at the frame's size."""
    height, width = frame_bgr.shape[:2]
    scale = min(1.0, 640.0 / width)
    small = cv2.resize(frame_bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else frame_bgr
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)
    dog = np.abs(cv2.GaussianBlur(gray, (0, 0), 1.0) - cv2.GaussianBlur(gray, (0, 0), 3.0))
    textured = cv2.GaussianBlur(dog, (0, 0), 6.0) > level
    if scale < 1:
        textured = cv2.resize(textured.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST) > 0
    return textured


def _box_mask(boxes: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, bool)
    for x1, y1, x2, y2 in np.asarray(boxes, int):
        mask[max(y1, 0):max(y2, 0), max(x1, 0):max(x2, 0)] = True
    return mask


class PeopleCounter:
    """The regime switch for one camera.

    Parameters
    ----------
    detector : Detector
        The box detector (sparse scenes, and every scene when ``density`` is None).
    saturation_count : int
        The detector's registry ``saturation_count``.
    density : DensityCounter, optional
        The density counter (dense scenes).
    walkable : ndarray of bool, optional
        The camera's walkable area (frame pixels); default the whole frame.
    crowding : CrowdingCheck, optional
        Texture gained against the camera's empty reference (used without a density counter).
    """

    def __init__(self, detector: Detector, saturation_count: int, density: DensityCounter | None = None,
                 walkable: np.ndarray | None = None, crowding: CrowdingCheck | None = None,
                 config: RegimeConfig = RegimeConfig()):
        self.detector = detector
        self.saturation_count = saturation_count
        self.density = density
        self.walkable = walkable
        self.crowding = crowding
        self.config = config

    def _walkable(self, shape: tuple[int, int]) -> np.ndarray:
        if self.walkable is None:
            return np.ones(shape, bool)
        if self.walkable.shape != shape:
            return cv2.resize(self.walkable.astype(np.uint8), (shape[1], shape[0]),
                              interpolation=cv2.INTER_NEAREST) > 0
        return self.walkable

    def count(self, frame_bgr: np.ndarray, found: Detections | None = None) -> PeopleEstimate:
        """People in ``frame_bgr``; ``found`` are the detector's boxes if already computed."""
        found = self.detector.detect(frame_bgr) if found is None else found
        boxes = found.boxes[found.labels == Detections.PERSON]
        n = len(boxes)
        walkable = self._walkable(frame_bgr.shape[:2])
        if self.density is not None:
            return self._with_density(frame_bgr, n, walkable)
        return self._boxes_only(frame_bgr, boxes, walkable)

    def _with_density(self, frame_bgr: np.ndarray, n: int, walkable: np.ndarray) -> PeopleEstimate:
        cfg = self.config
        dmap = self.density.density(frame_bgr)
        packed_level = (self.density.stride / cfg.resolvable_spacing_px) ** 2
        total = dmap.mass(0.0, walkable)
        packed = dmap.mass(packed_level, walkable)
        signals = {"density_mass": round(total, 1), "packed_mass": round(packed, 1), "boxes": n,
                   "packed_level_per_cell": round(packed_level, 4)}
        if packed > n + self.saturation_count:
            people = int(round(total))
            err = cfg.density_rel_error
            return PeopleEstimate(people, int(np.floor(total * (1 - err))), int(np.ceil(total * (1 + err))),
                                  self.density.name, False, "dense", signals)
        # The density map vouches that the scene is sparse: the box count is a count, not a lower bound.
        high = n + int(np.ceil(packed + 2.0 * np.sqrt(n)))
        return PeopleEstimate(n, n, high, self.detector.name, False, "sparse", signals)

    def _boxes_only(self, frame_bgr: np.ndarray, boxes: np.ndarray, walkable: np.ndarray) -> PeopleEstimate:
        cfg = self.config
        n = len(boxes)
        piled = piled_share(boxes, cfg.overlap_iou) if n >= 4 else 0.0
        occupied = self.crowding.occupied(frame_bgr) if self.crowding is not None else None
        if occupied is None:
            textured = fine_texture(frame_bgr, cfg.texture_level) & walkable
        else:
            textured = occupied & walkable
        area = max(int(walkable.sum()), 1)
        texture_share = float(textured.sum()) / area
        explained = (float((textured & _box_mask(boxes, textured.shape)).sum()) / float(textured.sum())
                     if textured.any() else 1.0)
        # With a reference, gained texture is people or objects; without one, texture may be scenery.
        share_needed = self.crowding.thresholds.occupied_fraction if occupied is not None else cfg.texture_share
        crowded_texture = texture_share >= share_needed and explained < cfg.boxes_explain
        saturated = n >= self.saturation_count or piled >= cfg.overlap_share or crowded_texture
        signals = {"boxes": n, "piled_share": round(piled, 3), "texture_share": round(texture_share, 3),
                   "boxes_explain": round(explained, 3), "reference": occupied is not None}
        if saturated:
            # Upper bound: at most one person per 8x8-pixel cell of textured walkable ground
            # (the density counter's own resolution), at the 640-pixel working width.
            scale = min(1.0, 640.0 / frame_bgr.shape[1])
            ceiling = float(textured.sum()) * scale * scale / 64.0
            return PeopleEstimate(n, n, max(n, int(np.ceil(ceiling))), self.detector.name, True, "dense", signals)
        return PeopleEstimate(n, n, n + int(np.ceil(2.0 * np.sqrt(n))), self.detector.name, False, "sparse", signals)
