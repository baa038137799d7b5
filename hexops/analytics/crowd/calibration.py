"""Each camera's share of a region's visible ground, computed once at calibration time.

A region is an H3 cell or an event zone.  Several cameras may look at the
same pavement; counting each camera's people over its own field of view and
adding them would count that pavement twice.  Instead the union of the fields
of view inside the region is cut into pieces (each piece seen by the same set
of cameras), and every piece's area is split evenly between the cameras that
see it.  A camera's *share* of the region is the sum of its slices, so that

    sum over cameras of share = area of the union of fields of view in the region

and the region's people estimate is ``sum(density_c * share_c)``: each
square metre is counted once, at the mean density of the cameras that see it.

All geometry here is in HK1980 Grid (EPSG:2326, metres); areas are m2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Sequence

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry
from tqdm import tqdm
from hexops.city import HONG_KONG

#: Relative difference between the summed and the unioned area below which a
#: region's fields of view are taken as not overlapping (so the costly
#: overlay is skipped): floating-point noise only, never a real sliver.
_OVERLAP_TOLERANCE = 1e-9

_TO_HK1980 = Transformer.from_crs("EPSG:4326", HONG_KONG.metric_crs, always_xy=True)


def to_hk1980(geoms: Sequence[BaseGeometry] | np.ndarray) -> np.ndarray:
    """Project WGS84 geometries (EPSG:4326, lon/lat) to HK1980 Grid (EPSG:2326, metres)."""
    arr = np.asarray(geoms, dtype=object)
    return shapely.transform(arr, lambda xy: np.column_stack(_TO_HK1980.transform(xy[:, 0], xy[:, 1])))


@dataclass(frozen=True)
class GroundShares:
    """Camera shares of each region's visible ground (EPSG:2326, m2).

    Attributes
    ----------
    pairs : pandas.DataFrame
        One row per (region, camera) that overlap: ``region``, ``camera_id``,
        ``share_m2`` (> 0).
    regions : pandas.DataFrame
        Indexed by region: ``area_m2`` (the region's ground area) and
        ``covered_m2`` (union of the fields of view inside it).
    """

    pairs: pd.DataFrame
    regions: pd.DataFrame


def _split_overlaps(clips: np.ndarray) -> np.ndarray:
    """Share of each clipped field of view after splitting overlaps evenly (m2)."""
    areas = shapely.area(clips)
    union_area = shapely.area(shapely.union_all(clips))
    if abs(areas.sum() - union_area) <= _OVERLAP_TOLERANCE * max(union_area, 1.0):
        return areas
    # Node every boundary together, then rebuild the faces: each face lies
    # wholly inside or outside every field of view.
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(shapely.boundary(clips)))))
    if len(faces) == 0:
        return areas
    probes = shapely.point_on_surface(faces)
    seen = shapely.contains(clips[:, None], probes[None, :])  # cameras x faces
    n_seeing = seen.sum(axis=0)
    face_area = np.where(n_seeing > 0, shapely.area(faces) / np.maximum(n_seeing, 1), 0.0)
    return seen.astype(float) @ face_area


def ground_shares(
    camera_ids: Sequence[str],
    fovs_m: Sequence[BaseGeometry] | np.ndarray,
    region_ids: Sequence[Hashable],
    regions_m: Sequence[BaseGeometry] | np.ndarray,
    progress: bool = False,
) -> GroundShares:
    """Split each region's visible ground between the cameras that see it.

    Parameters
    ----------
    camera_ids : sequence of str
    fovs_m : sequence of shapely Polygon
        Each camera's visible ground, in EPSG:2326 (metres).
    region_ids : sequence of hashable
        H3 cells (int64) or zone ids.
    regions_m : sequence of shapely Polygon
        The regions, in EPSG:2326.
    progress : bool
        Show a tqdm bar over regions (a city-wide calibration takes a while).

    Returns
    -------
    GroundShares
        Shares in m2; per region the sum of shares equals the union of the
        fields of view inside it.
    """
    fovs = np.asarray(fovs_m, dtype=object)
    regions = np.asarray(regions_m, dtype=object)
    cam_ids = np.asarray(camera_ids, dtype=object)
    reg_ids = list(region_ids)
    region_area = shapely.area(regions) if len(regions) else np.zeros(0)
    tree = shapely.STRtree(fovs)
    reg_idx, cam_idx = tree.query(regions, predicate="intersects") if len(fovs) else (np.zeros(0, int),) * 2
    clips = shapely.intersection(fovs[cam_idx], regions[reg_idx]) if len(reg_idx) else np.zeros(0, object)
    shares = np.zeros(len(reg_idx))
    order = np.argsort(reg_idx, kind="stable")
    bounds = np.flatnonzero(np.diff(reg_idx[order])) + 1
    groups = np.split(order, bounds)
    for group in tqdm(groups, desc="ground shares", unit="region", disable=not progress):
        if len(group) == 0:
            continue
        shares[group] = shapely.area(clips[group]) if len(group) == 1 else _split_overlaps(clips[group])
    keep = shares > 0
    pairs = pd.DataFrame(
        {
            "region": np.asarray(reg_ids)[reg_idx[keep]] if reg_ids else np.zeros(0, object),
            "camera_id": cam_ids[cam_idx[keep]],
            "share_m2": shares[keep],
        }
    )
    covered = np.bincount(reg_idx[keep], weights=shares[keep], minlength=len(reg_ids))
    table = pd.DataFrame({"area_m2": region_area, "covered_m2": covered}, index=pd.Index(reg_ids, name="region"))
    return GroundShares(pairs=pairs, regions=table)
