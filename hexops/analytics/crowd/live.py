"""A calibrated camera layout, and the per-refresh crowd snapshot over it.

:class:`CrowdLayout` turns the calibration's ground shares into positional
index arrays once; :func:`crowd_snapshot` then recomputes every region's
density, band, level of service, trend and time to threshold from the
cameras' latest counts with a handful of vectorised passes (no per-camera or
per-region Python loop), which is what lets a 60,000-camera city refresh
every few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hexops.analytics.crowd.calibration import GroundShares
from hexops.analytics.crowd.density import (
    DEFAULT_THRESHOLDS,
    BandConfig,
    camera_densities,
    minutes_to_thresholds,
    region_estimates,
    trend_slopes,
)


@dataclass(frozen=True)
class CrowdLayout:
    """Cameras and regions of a calibration, as positional arrays.

    Attributes
    ----------
    camera_ids : pandas.Index
        Position of each camera.
    fov_m2 : ndarray
        Each camera's visible ground (m2, EPSG:2326).
    regions : pandas.Index
        Position of each region (H3 cell or zone id).
    region_area_m2 : ndarray
    pair_region, pair_camera : ndarray of int
    pair_share_m2 : ndarray of float
    """

    camera_ids: pd.Index
    fov_m2: np.ndarray
    regions: pd.Index
    region_area_m2: np.ndarray
    pair_region: np.ndarray
    pair_camera: np.ndarray
    pair_share_m2: np.ndarray

    @classmethod
    def from_shares(cls, camera_ids, fov_m2, shares: GroundShares) -> "CrowdLayout":
        """Index a calibration; pairs naming a camera outside ``camera_ids`` are dropped."""
        cams = pd.Index(camera_ids)
        regions = shares.regions.index
        cam_pos = cams.get_indexer(shares.pairs["camera_id"])
        reg_pos = regions.get_indexer(shares.pairs["region"])
        ok = (cam_pos >= 0) & (reg_pos >= 0)
        return cls(
            camera_ids=cams,
            fov_m2=np.asarray(fov_m2, dtype=float),
            regions=regions,
            region_area_m2=shares.regions["area_m2"].to_numpy(dtype=float),
            pair_region=reg_pos[ok],
            pair_camera=cam_pos[ok],
            pair_share_m2=shares.pairs["share_m2"].to_numpy(dtype=float)[ok],
        )

    def align(self, latest: pd.DataFrame) -> dict[str, np.ndarray]:
        """Per-camera arrays (positional) from a frame indexed by camera_id.

        ``latest`` has ``people`` (mean visible), ``saturated`` (bool) and
        optionally ``last_unsaturated`` (people/m2); cameras absent from it
        are not reporting.
        """
        pos = self.camera_ids.get_indexer(latest.index)
        hit = pos >= 0
        n = len(self.camera_ids)
        people = np.zeros(n)
        saturated = np.zeros(n, dtype=bool)
        last = np.full(n, np.nan)
        reporting = np.zeros(n, dtype=bool)
        people[pos[hit]] = latest["people"].to_numpy(dtype=float)[hit]
        saturated[pos[hit]] = latest["saturated"].to_numpy(dtype=bool)[hit]
        if "last_unsaturated" in latest:
            last[pos[hit]] = latest["last_unsaturated"].to_numpy(dtype=float)[hit]
        reporting[pos[hit]] = True
        return {"people": people, "saturated": saturated, "last_unsaturated": last, "reporting": reporting}


def crowd_snapshot(
    layout: CrowdLayout,
    latest: pd.DataFrame,
    history_min: np.ndarray | None = None,
    history_density: np.ndarray | None = None,
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS,
    config: BandConfig = BandConfig(),
) -> tuple[pd.DataFrame, np.ndarray]:
    """Every region's crowd figures now, and the minutes to each threshold.

    Parameters
    ----------
    layout : CrowdLayout
    latest : pandas.DataFrame
        Indexed by camera_id (see :meth:`CrowdLayout.align`).
    history_min, history_density : ndarray, optional
        Earlier densities of the same regions (regions x times) and their
        times in minutes relative to now (negative); the trend is fitted over
        them and the current density.
    thresholds : tuple of float
        People per m2.

    Returns
    -------
    (pandas.DataFrame, ndarray)
        The estimates (indexed by region, see
        :func:`analytics.crowd.density.region_estimates`, plus
        ``slope_per_min``) and the regions x thresholds minutes to each.
    """
    cam = layout.align(latest)
    dens, high = camera_densities(cam["people"], layout.fov_m2, cam["saturated"], cam["last_unsaturated"], config)
    est = region_estimates(
        layout.pair_region, layout.pair_camera, layout.pair_share_m2, layout.region_area_m2,
        dens, high, cam["saturated"], cam["reporting"], config,
    )
    est.index = layout.regions
    current = est["density"].to_numpy()
    if history_density is not None and history_min is not None and len(history_min):
        times = np.append(np.asarray(history_min, dtype=float), 0.0)
        slope = trend_slopes(times, np.column_stack([history_density, current]))
    else:
        slope = np.full(len(current), np.nan)
    est["slope_per_min"] = slope
    return est, minutes_to_thresholds(current, slope, thresholds)
