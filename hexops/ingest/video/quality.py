"""Is this frame fit to count people and judge the road?  The gate every frame passes first.

A frame that is not a live view of the camera's scene must contribute no
people and no water state: otherwise a test card reads as a crowd (all that
texture), a frozen feed repeats a count for hours, headlight glare reads as a
flooded road, and a camera that was panned away compares a new scene against
the old reference.  Each check below is a property every ordinary camera
frame has and the failure lacks, tested in a fixed order so that the reason
named is the most basic one:

1. **too dark** -- nothing to see (lens capped, lights out, night without IR).
2. **placeholder** -- an "image unavailable" card or a test pattern is drawn:
   most of it is exactly flat blocks *and* a handful of exact colours.  A
   real scene may have flat blocks where JPEG smoothed the noise (sky, a
   calm flood), but light falls off across any real surface, so its pixels
   spread over many slightly different values.
3. **glare** -- in a dark scene, a large share of pixels clipped to white
   (headlights, floodlights, low sun in the lens); in any scene, clipping
   over a quarter of the frame (overexposure, lens flare).
4. **colour cast** -- even the most neutral part of the frame is tinted (a
   stuck IR-cut filter turns everything magenta; a failing sensor channel
   tints it).  Every street scene has grey surfaces (road, concrete,
   shadows), so a colourful scene still has near-grey pixels, while a cast
   moves all of them.  Greyscale and night-IR frames are neutral and pass.
5. **frozen** -- the same pixels as the previous sample: no sensor noise changed.
6. **view moved** -- the static structure of the camera's reference (kerbs,
   buildings, poles) is no longer where it was: features matched between the
   reference and the frame do not agree on a near-identity transform (a PTZ
   camera was panned, tilted or zoomed).

Thresholds are stated in :class:`QualityThresholds` with the reason for each.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Work size (width) for the checks: enough detail, a few milliseconds each.
WORK_WIDTH = 640


@dataclass(frozen=True)
class QualityThresholds:
    """Limits of an ordinary camera frame.

    Attributes
    ----------
    flat_block_std : float
        Grey-level standard deviation under which an 8x8 block is "exactly
        flat"; camera sensors and their JPEG encoders leave 1-3 levels of noise.
    placeholder_flat_share : float
        Share of flat blocks from which a frame may be a drawn placeholder...
    placeholder_colour_share : float
        ...when its :attr:`placeholder_colours` most common exact colours also
        cover this share of it.
    placeholder_colours : int
        How many exact colours a drawn card is made of (a test card has 7-8 bars).
    dark_median : float
        Median grey level (0..255) under which the frame is too dark to use.
    night_median : float
        Median grey level under which a scene counts as dark for the glare test.
    night_glare_share : float
        Share of clipped (>= 250) pixels that, in a dark scene, is glare:
        headlights and lamps light up a few per cent of the frame at most.
    overexposed_share : float
        Share of clipped pixels that is overexposure or lens flare in any scene.
    cast_chroma : float
        CIELAB chroma (CIE units) that even the most neutral pixels
        (:attr:`cast_percentile`) exceed in a colour cast; about five
        just-noticeable differences from grey.
    cast_percentile : float
        Which pixels count as "most neutral": this percentile of chroma.
    frozen_mean_abs : float
        Mean absolute grey-level difference to the previous sample under which
        the feed is frozen (live sensor noise alone exceeds it).
    view_min_inliers : int
        Features of the reference that must be re-found in place (RANSAC
        inliers of a near-identity transform) for the view to match.
    view_max_shift : float
        Largest translation (share of the frame width) still "in place".
    view_max_scale : float
        Largest zoom change (relative) still "in place".
    """

    flat_block_std: float = 0.75
    placeholder_flat_share: float = 0.55
    placeholder_colour_share: float = 0.5
    placeholder_colours: int = 8
    dark_median: float = 12.0
    night_median: float = 60.0
    night_glare_share: float = 0.04
    overexposed_share: float = 0.25
    cast_chroma: float = 12.0
    cast_percentile: float = 5.0
    frozen_mean_abs: float = 0.2
    view_min_inliers: int = 12
    view_max_shift: float = 0.05
    view_max_scale: float = 0.08


@dataclass(frozen=True)
class QualityVerdict:
    """Usable or not, and why not (``reason`` is one short phrase)."""

    usable: bool
    reason: str | None = None

    @classmethod
    def ok(cls) -> "QualityVerdict":
        return cls(True, None)


def _work(frame_bgr: np.ndarray) -> np.ndarray:
    height, width = frame_bgr.shape[:2]
    if width <= WORK_WIDTH:
        return frame_bgr
    return cv2.resize(frame_bgr, (WORK_WIDTH, int(round(height * WORK_WIDTH / width))), interpolation=cv2.INTER_AREA)


def flat_block_share(gray: np.ndarray, max_std: float) -> float:
    """Share of 8x8 blocks whose grey levels vary by less than ``max_std``."""
    height, width = (gray.shape[0] // 8) * 8, (gray.shape[1] // 8) * 8
    if height == 0 or width == 0:
        return 1.0
    blocks = gray[:height, :width].astype(np.float32).reshape(height // 8, 8, width // 8, 8)
    return float((blocks.std(axis=(1, 3)) < max_std).mean())


def dominant_colour_share(frame_bgr: np.ndarray, colours: int) -> float:
    """Share of pixels in the ``colours`` most common exact BGR colours."""
    packed = (frame_bgr[..., 0].astype(np.int32) << 16) | (frame_bgr[..., 1].astype(np.int32) << 8) | frame_bgr[..., 2]
    counts = np.bincount(np.unique(packed, return_inverse=True)[1].ravel())
    return float(np.sort(counts)[-colours:].sum()) / float(packed.size)


def neutral_chroma(frame_bgr: np.ndarray, percentile: float = 5.0) -> float:
    """CIELAB chroma (CIE units) of the frame's most neutral pixels: the ``percentile`` of per-pixel chroma."""
    lab = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float32)
    chroma = np.hypot(lab[:, 1] - 128.0, lab[:, 2] - 128.0)  # 8-bit a, b are a* + 128, b* + 128
    return float(np.percentile(chroma, percentile))


class ViewMatcher:
    """Does a frame still show the reference's view?  ORB features, matched and checked by RANSAC."""

    def __init__(self, reference_bgr: np.ndarray, thresholds: QualityThresholds = QualityThresholds()):
        self.thresholds = thresholds
        self._orb = cv2.ORB_create(nfeatures=800)
        ref = cv2.cvtColor(_work(reference_bgr), cv2.COLOR_BGR2GRAY)
        self.size = (ref.shape[1], ref.shape[0])
        self._kp, self._desc = self._orb.detectAndCompute(ref, None)

    @property
    def checkable(self) -> bool:
        """False when the reference has too little structure to anchor on."""
        return self._desc is not None and len(self._kp) >= 3 * self.thresholds.view_min_inliers

    def matches(self, frame_bgr: np.ndarray) -> bool:
        if not self.checkable:
            return True
        gray = cv2.cvtColor(cv2.resize(_work(frame_bgr), self.size, interpolation=cv2.INTER_AREA),
                            cv2.COLOR_BGR2GRAY)
        kp, desc = self._orb.detectAndCompute(gray, None)
        if desc is None or len(kp) < self.thresholds.view_min_inliers:
            return False
        pairs = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(self._desc, desc)
        if len(pairs) < self.thresholds.view_min_inliers:
            return False
        src = np.float32([self._kp[m.queryIdx].pt for m in pairs])
        dst = np.float32([kp[m.trainIdx].pt for m in pairs])
        transform, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=3.0)
        if transform is None or inliers is None or int(inliers.sum()) < self.thresholds.view_min_inliers:
            return False
        scale = float(np.hypot(transform[0, 0], transform[1, 0]))
        shift = float(np.hypot(transform[0, 2], transform[1, 2])) / self.size[0]
        return abs(scale - 1.0) <= self.thresholds.view_max_scale and shift <= self.thresholds.view_max_shift


class QualityGate:
    """The checks for one camera (reference optional; the previous sample is remembered)."""

    def __init__(self, reference_bgr: np.ndarray | None = None, thresholds: QualityThresholds = QualityThresholds()):
        self.thresholds = thresholds
        self.view = ViewMatcher(reference_bgr, thresholds) if reference_bgr is not None else None
        self._previous: np.ndarray | None = None

    def check(self, frame_bgr: np.ndarray) -> QualityVerdict:
        """The verdict on one frame; remembers it as the previous sample for the frozen test."""
        t = self.thresholds
        work = _work(frame_bgr)
        gray = cv2.cvtColor(work, cv2.COLOR_BGR2GRAY)
        previous, self._previous = self._previous, gray
        median = float(np.median(gray))
        if median < t.dark_median:
            return QualityVerdict(False, "too dark")
        if (flat_block_share(gray, t.flat_block_std) >= t.placeholder_flat_share
                and dominant_colour_share(work, t.placeholder_colours) >= t.placeholder_colour_share):
            return QualityVerdict(False, "placeholder or test card (no sensor noise over most of the frame)")
        clipped = float((gray >= 250).mean())
        if median < t.night_median and clipped >= t.night_glare_share:
            return QualityVerdict(False, "night glare (bright lights clipped in a dark scene)")
        if clipped >= t.overexposed_share:
            return QualityVerdict(False, "overexposed or lens flare")
        if neutral_chroma(work, t.cast_percentile) >= t.cast_chroma:
            return QualityVerdict(False, "colour cast")
        if previous is not None and previous.shape == gray.shape:
            if float(np.abs(gray.astype(np.int16) - previous.astype(np.int16)).mean()) < t.frozen_mean_abs:
                return QualityVerdict(False, "frozen (identical to the previous sample)")
        if self.view is not None and not self.view.matches(work):
            return QualityVerdict(False, "view no longer matches the camera's reference (moved or zoomed)")
        return QualityVerdict.ok()
