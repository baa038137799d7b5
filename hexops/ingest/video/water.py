"""Water on the road, judged against the camera's own dry-weather reference image.

A fixed camera sees the same road every day, so "is the road wet?" becomes
"how has the road changed from when it was known to be dry?".  Without a dry
reference there is no answer: the state is unknown (``None``), never "dry".
Per road pixel (the camera's road mask, :mod:`hexops.ingest.video.roadmask`)
we measure the CIELAB colour difference from the reference, ignoring pixels
inside person and vehicle boxes (people are not puddles):

- a **wet** road is darker and glossier almost everywhere but is still a road:
  many pixels changed, markings and grain still there;
- **flooded** needs evidence beyond "changed" -- most of the road changed *and*
  at least two of: (a) the lane markings the reference shows are gone,
  (b) one large connected area of the road has lost its texture (a water
  surface is smooth: it mirrors or hides the asphalt), (c) a water-coloured
  region (muddy brown, or a smooth grey-white sheet of reflected sky) covers
  much of the road and reaches the road's edge (water comes over the kerb or
  from the drains, it does not float in the middle).  When the reference
  shows no markings, (a) is not available and (b) and (c) must both hold.

Global exposure changes (dusk, cloud, auto-exposure) are compensated by
matching the off-road part's median lightness to the reference first.

Thresholds are per-deployment calibration values (see :class:`WaterThresholds`);
the defaults suit the synthetic scenes in :mod:`ingest.video.synthetic` and are
a starting point, not a validated model.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from hexops.ingest.video.roadmask import auto_road_mask


@dataclass(frozen=True)
class WaterThresholds:
    """Calibration of :func:`estimate_water`.

    Attributes
    ----------
    changed_delta_e : float
        CIELAB Delta-E (CIE76) above which a road pixel counts as changed.
    wet_fraction : float
        Fraction of road pixels changed from which the road is wet.
    flooded_fraction : float
        Fraction of changed road pixels from which it may be flooded, given evidence.
    flooded_texture_loss : float
        Share of the reference's gradient energy gone that the evidence "smooth" needs.
    smooth_ratio : float
        A pixel is smooth when its local standard deviation (9x9) is below
        this share of the reference's there.
    uniform_share : float
        Share of the road that the largest smooth, changed region must cover.
    markings_lost : float
        Share of the reference's marking pixels no longer brighter than their
        surroundings that counts as "markings gone".
    marking_contrast : float
        Grey levels a marking stands above its 15x15 surroundings (white top-hat).
    water_colour_share : float
        Share of the road the water-coloured region touching the road edge must cover.
    """

    changed_delta_e: float = 12.0
    wet_fraction: float = 0.25
    flooded_fraction: float = 0.6
    flooded_texture_loss: float = 0.6
    smooth_ratio: float = 0.35
    uniform_share: float = 0.4
    markings_lost: float = 0.6
    marking_contrast: float = 25.0
    water_colour_share: float = 0.3


#: Share of the road that must be visible (not behind boxes or a crowd) to judge it.
MIN_VISIBLE_ROAD = 0.25


@dataclass(frozen=True)
class WaterEstimate:
    state: str | None     # dry | wet | flooded; None when the road cannot be seen
    confidence: float     # 0..1
    changed_fraction: float
    texture_loss: float
    evidence: tuple[str, ...] = ()   # which flood evidence held (markings_lost, smooth_area, water_at_edge)


def _gradient_energy(gray: np.ndarray) -> np.ndarray:
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    return np.abs(gx) + np.abs(gy)


class WaterEstimator:
    """Compares frames with one camera's dry reference (both BGR uint8, same size)."""

    def __init__(self, reference_bgr: np.ndarray, road_mask: np.ndarray | None = None,
                 thresholds: WaterThresholds = WaterThresholds()):
        self.reference = reference_bgr
        height, width = reference_bgr.shape[:2]
        self.mask = auto_road_mask(reference_bgr) if road_mask is None else road_mask.astype(bool)
        if self.mask.shape != (height, width):
            raise ValueError(f"road mask {self.mask.shape} does not match the reference {height}x{width}")
        self.thresholds = thresholds
        self._ref_lab = cv2.cvtColor(reference_bgr, cv2.COLOR_BGR2LAB).astype(np.float32)
        ref_gray = cv2.cvtColor(reference_bgr, cv2.COLOR_BGR2GRAY)
        self._ref_energy = _gradient_energy(ref_gray)
        self._ref_gray_median = float(np.median(ref_gray[~self.mask])) if (~self.mask).any() else 0.0
        self._ref_std = _local_std(ref_gray)
        self._markings = self.mask & (_top_hat(ref_gray) >= thresholds.marking_contrast)
        self._edge = self.mask & ~cv2.erode(self.mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)

    def _exposure_gain(self, lab: np.ndarray) -> float:
        """Lightness gain that brings the scene outside the road back to the reference.

        Dusk, cloud and auto-exposure darken or brighten the whole frame; water
        changes only the road.  Matching the median lightness of the off-road
        part keeps a uniformly darker dry road from reading as wet.
        """
        off_road = ~self.mask
        if not off_road.any():
            return 1.0
        now = float(np.median(lab[..., 0][off_road]))
        ref = float(np.median(self._ref_lab[..., 0][off_road]))
        return 1.0 if now < 1.0 else float(np.clip(ref / now, 0.25, 4.0))

    def _gray_gain(self, gray: np.ndarray) -> float:
        off_road = ~self.mask
        if not off_road.any():
            return 1.0
        now = float(np.median(gray[off_road]))
        return 1.0 if now < 1.0 else float(np.clip(self._ref_gray_median / now, 0.25, 4.0))

    def estimate(self, frame_bgr: np.ndarray, boxes: np.ndarray | None = None,
                 hidden: np.ndarray | None = None) -> WaterEstimate:
        """State of the road in ``frame_bgr``.

        ``boxes`` (x1, y1, x2, y2 pixels) and ``hidden`` (a boolean mask of
        pixels covered by something standing on the road: people the boxes
        missed, bags, a packed crowd) are excluded.  When less than
        :data:`MIN_VISIBLE_ROAD` of the road is left, the state is unknown.
        """
        if frame_bgr.shape != self.reference.shape:
            frame_bgr = cv2.resize(frame_bgr, (self.reference.shape[1], self.reference.shape[0]))
        mask = self.mask.copy()
        for x1, y1, x2, y2 in (np.asarray(boxes, int) if boxes is not None else []):
            mask[max(y1, 0):max(y2, 0), max(x1, 0):max(x2, 0)] = False
        if hidden is not None and hidden.shape == mask.shape:
            mask &= ~hidden
        if mask.sum() < MIN_VISIBLE_ROAD * max(int(self.mask.sum()), 1):
            return WaterEstimate(None, 0.0, 0.0, 0.0)   # the road is hidden: unknown, not dry
        lab = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2LAB).astype(np.float32)
        lab[..., 0] *= self._exposure_gain(lab)
        # OpenCV's 8-bit Lab scales L to 0..255; rescale to CIE units before Delta-E.
        diff = (lab - self._ref_lab) * np.array([100 / 255, 1, 1], np.float32)
        delta_e = np.sqrt((diff ** 2).sum(axis=2))
        changed = float((delta_e[mask] > self.thresholds.changed_delta_e).mean())
        ref_energy = float(self._ref_energy[mask].sum())
        gray = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
        # Gradients scale with exposure too: compare them at the reference's exposure.
        energy = float(_gradient_energy(gray)[mask].sum()) * self._gray_gain(gray)
        texture_loss = 0.0 if ref_energy == 0 else float(np.clip(1.0 - energy / ref_energy, 0.0, 1.0))
        t = self.thresholds
        evidence = self._flood_evidence(frame_bgr, gray, lab, delta_e > t.changed_delta_e, mask)
        needed = 2
        if changed >= t.flooded_fraction and len(evidence) >= needed:
            state = "flooded"
            margin = min((changed - t.flooded_fraction) / (1 - t.flooded_fraction), len(evidence) / 3)
        elif changed >= t.wet_fraction:
            state = "wet"
            margin = min((changed - t.wet_fraction) / (1 - t.wet_fraction), 1.0 - len(evidence) / 3)
        else:
            state = "dry"
            margin = (t.wet_fraction - changed) / t.wet_fraction
        # Confidence grows with the distance from the nearest decision boundary.
        confidence = float(np.clip(0.5 + 0.5 * margin, 0.5, 0.99))
        return WaterEstimate(state, round(confidence, 3), round(changed, 4), round(texture_loss, 4), evidence)

    def _flood_evidence(self, frame_bgr: np.ndarray, gray: np.ndarray, lab: np.ndarray, changed: np.ndarray,
                        mask: np.ndarray) -> tuple[str, ...]:
        """Which of the three flood signs the frame shows on the road (see the module docstring)."""
        t = self.thresholds
        road = float(mask.sum())
        found: list[str] = []
        markings = self._markings & mask
        if markings.sum() >= max(20, 0.005 * road):
            still = _top_hat(gray) >= t.marking_contrast * 0.5
            if float((markings & ~still).sum()) / float(markings.sum()) >= t.markings_lost:
                found.append("markings_lost")
        local = _local_std(gray) * self._gray_gain(gray)
        smooth = mask & changed & (local < t.smooth_ratio * np.maximum(self._ref_std, 1.0))
        if _largest_region(smooth) >= t.uniform_share * road:
            found.append("smooth_area")
        # 8-bit Lab: a*, b* offset by 128.  Muddy water is yellow-brown (b* > 8, a* >= -4);
        # a sheet of reflected sky is near-grey and smooth.
        a_star, b_star = lab[..., 1] - 128.0, lab[..., 2] - 128.0
        muddy = (b_star > 8.0) & (a_star >= -4.0)
        sheet = (np.hypot(a_star, b_star) < 8.0) & smooth
        watery = mask & changed & (muddy | sheet)
        if _region_touching(watery, self._edge) >= t.water_colour_share * road:
            found.append("water_at_edge")
        return tuple(found)


def _local_std(gray: np.ndarray, size: int = 9) -> np.ndarray:
    g = gray.astype(np.float32)
    mean = cv2.blur(g, (size, size))
    return np.sqrt(np.maximum(cv2.blur(g * g, (size, size)) - mean * mean, 0.0))


def _top_hat(gray: np.ndarray) -> np.ndarray:
    """How much brighter each pixel is than its 15x15 surroundings (lane markings, kerb paint)."""
    return cv2.morphologyEx(gray, cv2.MORPH_TOPHAT, np.ones((15, 15), np.uint8)).astype(np.float32)


def _largest_region(mask: np.ndarray) -> float:
    """Pixels in the largest 8-connected region of ``mask``."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    return float(stats[1:, cv2.CC_STAT_AREA].max()) if n > 1 else 0.0


def _region_touching(mask: np.ndarray, edge: np.ndarray) -> float:
    """Pixels of ``mask`` in regions that reach ``edge``."""
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return 0.0
    touching = np.unique(labels[edge & mask])
    touching = touching[touching > 0]
    return float(np.isin(labels, touching).sum()) if len(touching) else 0.0
