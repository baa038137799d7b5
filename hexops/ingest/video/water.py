"""Water on the road, judged against the camera's own dry-weather reference image.

A fixed camera sees the same road every day, so "is the road wet?" becomes
"how has the road changed from when it was known to be dry?".  Per road pixel
(a mask, default the lower 40 % of the frame) we measure the CIELAB colour
difference from the reference, ignoring pixels inside person and vehicle boxes
(people are not puddles):

- a **wet** road is darker and glossier almost everywhere but keeps its
  markings: many pixels changed, moderately;
- a **flooded** road is covered by opaque (usually muddy) water: most pixels
  changed strongly and the road's own texture (lane markings, asphalt grain)
  is gone, which we measure as the loss of gradient energy against the reference.

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
        Fraction of changed road pixels from which it may be flooded...
    flooded_texture_loss : float
        ...when at least this share of the reference's gradient energy is gone.
    """

    changed_delta_e: float = 12.0
    wet_fraction: float = 0.25
    flooded_fraction: float = 0.6
    flooded_texture_loss: float = 0.6


@dataclass(frozen=True)
class WaterEstimate:
    state: str            # dry | wet | flooded
    confidence: float     # 0..1
    changed_fraction: float
    texture_loss: float


def default_road_mask(height: int, width: int) -> np.ndarray:
    """Lower 40 % of the frame: a street camera's usual view of the carriageway."""
    mask = np.zeros((height, width), bool)
    mask[int(height * 0.6):] = True
    return mask


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
        self.mask = default_road_mask(height, width) if road_mask is None else road_mask.astype(bool)
        if self.mask.shape != (height, width):
            raise ValueError(f"road mask {self.mask.shape} does not match the reference {height}x{width}")
        self.thresholds = thresholds
        self._ref_lab = cv2.cvtColor(reference_bgr, cv2.COLOR_BGR2LAB).astype(np.float32)
        ref_gray = cv2.cvtColor(reference_bgr, cv2.COLOR_BGR2GRAY)
        self._ref_energy = _gradient_energy(ref_gray)
        self._ref_gray_median = float(np.median(ref_gray[~self.mask])) if (~self.mask).any() else 0.0

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

    def estimate(self, frame_bgr: np.ndarray, boxes: np.ndarray | None = None) -> WaterEstimate:
        """State of the road in ``frame_bgr``; ``boxes`` (x1, y1, x2, y2 pixels) are excluded."""
        if frame_bgr.shape != self.reference.shape:
            frame_bgr = cv2.resize(frame_bgr, (self.reference.shape[1], self.reference.shape[0]))
        mask = self.mask.copy()
        for x1, y1, x2, y2 in (np.asarray(boxes, int) if boxes is not None else []):
            mask[max(y1, 0):max(y2, 0), max(x1, 0):max(x2, 0)] = False
        if not mask.any():
            return WaterEstimate("dry", 0.0, 0.0, 0.0)
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
        if changed >= t.flooded_fraction and texture_loss >= t.flooded_texture_loss:
            state = "flooded"
            margin = min((changed - t.flooded_fraction) / (1 - t.flooded_fraction),
                         (texture_loss - t.flooded_texture_loss) / (1 - t.flooded_texture_loss))
        elif changed >= t.wet_fraction:
            state = "wet"
            margin = min((changed - t.wet_fraction) / (1 - t.wet_fraction),
                         abs(texture_loss - t.flooded_texture_loss) / t.flooded_texture_loss)
        else:
            state = "dry"
            margin = (t.wet_fraction - changed) / t.wet_fraction
        # Confidence grows with the distance from the nearest decision boundary.
        confidence = float(np.clip(0.5 + 0.5 * margin, 0.5, 0.99))
        return WaterEstimate(state, round(confidence, 3), round(changed, 4), round(texture_loss, 4))
