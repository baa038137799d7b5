"""Which pixels of a camera's view are road: per camera, drawn or derived from its dry reference.

The water state is judged on the road only.  A camera's road mask is, in order:

1. drawn: ``<state>/video/references/<camera>.road.png`` (white = road,
   the reference's size), made with ``hexops video road-mask`` from a
   polygon in pixel coordinates;
2. derived from the camera's dry reference (:func:`auto_road_mask`): asphalt
   is near-grey and fine-grained, and the carriageway reaches the bottom of
   a street camera's view, so the mask is the near-grey, low-texture region
   connected to the bottom edge.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from hexops.ingest.errors import SourceError

#: Chroma (CIELAB, CIE units) under which a pixel is near-grey like asphalt or concrete.
ROAD_MAX_CHROMA = 14.0
#: Local grey-level standard deviation (9x9) under which a pixel is fine-grained road surface.
ROAD_MAX_STD = 14.0
#: A derived mask smaller than this share of the frame is not trusted.
MIN_ROAD_SHARE = 0.05


def auto_road_mask(reference_bgr: np.ndarray) -> np.ndarray:
    """The road in a dry reference (see :func:`derive_road_mask`), whichever way it was found."""
    return derive_road_mask(reference_bgr)[0]


def derive_road_mask(reference_bgr: np.ndarray) -> tuple[np.ndarray, bool]:
    """The road in a dry reference: near-grey, low-texture pixels connected to the bottom edge.

    Returns
    -------
    (ndarray of bool, bool)
        The mask, and whether it was found in the image.  When the region is
        smaller than :data:`MIN_ROAD_SHARE` of the frame (a view with no
        visible carriageway), the lower 40 % of the frame is assumed instead
        and the flag is False, so the caller can say so.
    """
    height, width = reference_bgr.shape[:2]
    lab = cv2.cvtColor(reference_bgr, cv2.COLOR_BGR2LAB).astype(np.float32)
    chroma = np.hypot(lab[..., 1] - 128.0, lab[..., 2] - 128.0)
    gray = cv2.cvtColor(reference_bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
    mean = cv2.blur(gray, (9, 9))
    std = np.sqrt(np.maximum(cv2.blur(gray * gray, (9, 9)) - mean * mean, 0.0))
    candidate = (chroma < ROAD_MAX_CHROMA) & (std < ROAD_MAX_STD)
    # Lane markings are bright and edged: close small gaps so they stay inside the road.
    candidate = cv2.morphologyEx(candidate.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    n, labels = cv2.connectedComponents(candidate, connectivity=8)
    bottom = np.unique(labels[-1][candidate[-1] > 0])
    mask = np.isin(labels, bottom[bottom > 0]) if n > 1 and len(bottom) else np.zeros((height, width), bool)
    mask = _fill_holes(mask)
    if mask.mean() < MIN_ROAD_SHARE:
        assumed = np.zeros((height, width), bool)
        assumed[int(height * 0.6):] = True
        return assumed, False
    return mask, True


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """``mask`` with every enclosed hole filled (lane markings, manholes, a parked car)."""
    n, labels = cv2.connectedComponents((~mask).astype(np.uint8), connectivity=4)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    holes = (labels > 0) & ~np.isin(labels, border)
    return mask | holes


def polygon_mask(points: list[tuple[float, float]], width: int, height: int) -> np.ndarray:
    """A boolean mask of a polygon given in pixel coordinates (x right, y down)."""
    if len(points) < 3:
        raise SourceError(f"a road polygon needs at least 3 points, got {len(points)}")
    mask = np.zeros((height, width), np.uint8)
    cv2.fillPoly(mask, [np.round(np.asarray(points, np.float64)).astype(np.int32)], 1)
    if not mask.any():
        raise SourceError("the road polygon covers no pixel of the frame")
    return mask.astype(bool)


def load_road_mask(path: Path, shape: tuple[int, int]) -> np.ndarray | None:
    """A drawn road mask (white = road) resized to ``shape`` (rows, columns), or None when absent."""
    path = Path(path)
    if not path.is_file():
        return None
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise SourceError(f"{path}: not a readable road-mask image")
    if image.shape != shape:
        image = cv2.resize(image, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
    return image > 127


def save_road_mask(path: Path, mask: np.ndarray) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), mask.astype(np.uint8) * 255):
        raise SourceError(f"{path}: could not write the road mask")
    return path
