"""Crowd density per region, Fruin level of service, occupancy bands and trends.

Inputs are the latest per-camera people counts (mean number visible over the
last minutes) and the calibration's ground shares (:mod:`.calibration`);
everything is vectorised over cameras and regions so that a whole city
recomputes in well under a second.  Densities are people per square metre of
visible ground (EPSG:2326 areas); a region is an H3 cell (resolution chosen by
the caller, 10 by default in the services) or an event zone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Fruin's walkway level-of-service boundaries in people per m2 (the
#: reciprocal of his 3.25, 2.32, 1.39, 0.93 and 0.46 m2 per person), from
#: J. J. Fruin, *Pedestrian Planning and Design* (1971), walkway table; the
#: same boundaries appear in the Highway Capacity Manual's walkway LOS.
FRUIN_WALKWAY_BOUNDS: tuple[float, ...] = (0.31, 0.43, 0.72, 1.08, 2.15)
FRUIN_LEVELS: tuple[str, ...] = ("A", "B", "C", "D", "E", "F")

#: Default alert thresholds in people per m2; 5.5 is where crowd forces
#: start to become dangerous.
DEFAULT_THRESHOLDS: tuple[float, ...] = (2.0, 4.0, 5.5)


@dataclass(frozen=True)
class BandConfig:
    """How wide the occupancy band is.

    Attributes
    ----------
    count_rel_error : float
        Relative error of a camera's count over its visible ground (both ways).
    uncovered_spread : float
        Relative spread of the density assumed on ground no camera sees, when
        cameras see almost none of the region: the covered mean density times
        ``1 -/+ uncovered_spread``.  The spread shrinks in proportion to the
        share of the region the cameras see (``uncovered_spread * (1 - seen
        share)``): the more of a zone is seen, the less is extrapolated and
        the more the seen ground tells about the rest.  With the defaults a
        region whose ground is a third seen has a band of at most
        ``1/3 * 0.10 + 2/3 * 0.20`` = +/-17 % while no camera is saturated.
    saturation_ceiling : float
        People per m2 a saturated camera may really be seeing (upper bound;
        about the densest standing crowd).
    """

    count_rel_error: float = 0.10
    uncovered_spread: float = 0.3
    saturation_ceiling: float = 7.0


def level_of_service(density: np.ndarray | float) -> np.ndarray:
    """Fruin walkway level of service (``'A'`` .. ``'F'``) of densities in people/m2."""
    idx = np.digitize(np.asarray(density, dtype=float), FRUIN_WALKWAY_BOUNDS, right=True)
    return np.asarray(FRUIN_LEVELS, dtype=object)[idx]


def camera_densities(
    people: np.ndarray,
    fov_m2: np.ndarray,
    saturated: np.ndarray,
    last_unsaturated: np.ndarray | None = None,
    config: BandConfig = BandConfig(),
) -> tuple[np.ndarray, np.ndarray]:
    """Each camera's density estimate and its upper bound (people/m2).

    A saturated camera's count is a lower bound: its estimate never drops
    below the density it last measured unsaturated (``last_unsaturated``,
    NaN when unknown), and its upper bound is ``config.saturation_ceiling``.
    The count is never lowered by saturation; the band widens instead.
    """
    density = np.asarray(people, dtype=float) / np.asarray(fov_m2, dtype=float)
    saturated = np.asarray(saturated, dtype=bool)
    if last_unsaturated is not None:
        prior = np.nan_to_num(np.asarray(last_unsaturated, dtype=float), nan=0.0)
        density = np.where(saturated, np.maximum(density, prior), density)
    high = np.where(saturated, np.maximum(density, config.saturation_ceiling), density)
    return density, high


def region_estimates(
    pair_region: np.ndarray,
    pair_camera: np.ndarray,
    pair_share_m2: np.ndarray,
    region_area_m2: np.ndarray,
    cam_density: np.ndarray,
    cam_high: np.ndarray,
    cam_saturated: np.ndarray,
    cam_reporting: np.ndarray,
    config: BandConfig = BandConfig(),
) -> pd.DataFrame:
    """Density, level of service and occupancy band of every region.

    Parameters
    ----------
    pair_region, pair_camera : ndarray of int
        Positional index of the region and the camera of each calibration pair.
    pair_share_m2 : ndarray of float
        The camera's share of the region's visible ground (m2, EPSG:2326).
    region_area_m2 : ndarray of float
        Each region's ground area (m2).
    cam_density, cam_high : ndarray of float
        Per camera estimate and upper bound (people/m2), from :func:`camera_densities`.
    cam_saturated, cam_reporting : ndarray of bool
        Saturation flag, and whether the camera reported at all (a silent
        camera's share counts as uncovered ground).

    Returns
    -------
    pandas.DataFrame
        One row per region (positional): ``covered_m2``, ``density``
        (people/m2 of covered ground), ``los``, ``people`` (estimate over the
        whole region), ``people_low``, ``people_high``, ``covered_fraction``,
        ``n_cameras``, ``n_saturated``.
    """
    n = len(region_area_m2)
    live = np.asarray(cam_reporting, dtype=bool)[pair_camera]
    share = np.where(live, pair_share_m2, 0.0)
    sat = np.asarray(cam_saturated, dtype=bool)[pair_camera] & live
    covered = np.bincount(pair_region, weights=share, minlength=n)
    seen = np.bincount(pair_region, weights=share * cam_density[pair_camera], minlength=n)
    seen_high = np.bincount(pair_region, weights=share * cam_high[pair_camera], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        density = np.where(covered > 0, seen / covered, np.nan)
        density_high = np.where(covered > 0, seen_high / covered, np.nan)
    area = np.asarray(region_area_m2, dtype=float)
    uncovered = np.clip(area - covered, 0.0, None)
    # Unseen ground is assumed as dense as the seen ground, within a spread.
    fill = np.nan_to_num(density) * uncovered
    fill_high = np.nan_to_num(density_high) * uncovered
    seen_share = np.where(area > 0, np.minimum(covered / np.where(area > 0, area, 1), 1.0), 0.0)
    err, spread = config.count_rel_error, config.uncovered_spread * (1.0 - seen_share)
    return pd.DataFrame(
        {
            "covered_m2": covered,
            "density": density,
            "los": level_of_service(np.nan_to_num(density)),
            "people": seen + fill,
            "people_low": seen * (1 - err) + fill * (1 - spread),
            "people_high": seen_high * (1 + err) + fill_high * (1 + spread),
            "covered_fraction": seen_share,
            "n_cameras": np.bincount(pair_region, weights=live.astype(float), minlength=n).astype(int),
            "n_saturated": np.bincount(pair_region, weights=sat.astype(float), minlength=n).astype(int),
        }
    )


def trend_slopes(times_min: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Least-squares slope of each row of ``values`` over ``times_min`` (units per minute).

    ``values`` is regions x times; NaNs are ignored.  A row with fewer than two
    values has slope NaN.
    """
    t = np.asarray(times_min, dtype=float)[None, :]
    v = np.asarray(values, dtype=float)
    ok = ~np.isnan(v)
    n = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_mean = np.where(ok, t, 0).sum(axis=1) / n
        v_mean = np.where(ok, v, 0).sum(axis=1) / n
        dt = np.where(ok, t - t_mean[:, None], 0)
        dv = np.where(ok, v - v_mean[:, None], 0)
        slope = (dt * dv).sum(axis=1) / (dt * dt).sum(axis=1)
    return np.where(n >= 2, slope, np.nan)


def minutes_to_thresholds(
    current: np.ndarray, slope_per_min: np.ndarray, thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
) -> np.ndarray:
    """Minutes until each threshold is crossed at the current trend.

    Returns regions x thresholds: 0 where already at or above, ``inf`` where
    the trend is flat, falling or unknown.
    """
    cur = np.asarray(current, dtype=float)[:, None]
    slope = np.asarray(slope_per_min, dtype=float)[:, None]
    thr = np.asarray(thresholds, dtype=float)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        eta = np.where(slope > 0, (thr - cur) / slope, np.inf)
    eta = np.where(np.isnan(cur), np.inf, eta)
    return np.where(cur >= thr, 0.0, eta)
