"""The demo city: a deterministic, authored Hong Kong for demos and tests.

``build_city(seed, n_cameras)`` returns a :class:`DemoCity` whose frames are
all WGS84 (EPSG:4326): 18 districts, a camera registry with ground fields of
view, fireworks viewing zones, low-lying places and rain gauges.  The same
seed gives the same city.  Scenario times and expected alerts are in
:mod:`geodata.democity.scenarios`; incidents in
:mod:`geodata.democity.incidents`; loading into PostGIS in
:mod:`geodata.democity.load`; detections in :mod:`ingest.simulator`.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from shapely.geometry import MultiPolygon

from hexops.democity import scenarios
from hexops.democity.cameras import build_cameras
from hexops.democity.districts import build_districts
from hexops.democity.gazetteer import build_places, camera_location_names
from hexops.democity.outline import land
from hexops.democity.zones import build_event_zones, build_low_lying, build_rain_gauges
from hexops.city import HONG_KONG

__all__ = ["DemoCity", "build_city", "scenarios"]


@dataclass(frozen=True)
class DemoCity:
    """Everything the demo city is made of (all GeoDataFrames in EPSG:4326).

    Attributes
    ----------
    seed : int
    districts : GeoDataFrame
        ``code``, ``name_en``, ``name_zh``, ``geometry`` (MultiPolygon).
    cameras : GeoDataFrame
        ``camera_id``, ``owner_code``, ``kind``, ``status``, ``geometry``
        (Point), ``fov`` (Polygon), ``fov_area_m2`` (m2, EPSG:2326),
        ``h3_r8``/``h3_r9``/``h3_r10``, ``district_code`` and simulator inputs
        (``anchor``, ``footfall``, ``max_countable``) and the wedge's
        ``heading_deg``, ``angle_deg``, ``near_m``, ``range_m``.
    event_zones : GeoDataFrame
        ``zone_id``, ``name``, ``capacity`` (people), ``area_m2``,
        ``peak_density_p_m2``, ``geometry`` (Polygon).
    low_lying : GeoDataFrame
        ``place_id``, ``name``, ``district_code``, ``prior``, ``h3_r9``,
        ``h3_r10``, ``geometry`` (Polygon).
    rain_gauges : GeoDataFrame
        ``station_id``, ``district_code``, ``geometry`` (Point).
    land : MultiPolygon
        The authored land outline.
    """

    seed: int
    districts: gpd.GeoDataFrame
    cameras: gpd.GeoDataFrame
    event_zones: gpd.GeoDataFrame
    low_lying: gpd.GeoDataFrame
    rain_gauges: gpd.GeoDataFrame
    land: MultiPolygon


def build_city(seed: int = 7, n_cameras: int = 5200) -> DemoCity:
    """Build the demo city.

    Parameters
    ----------
    seed : int
        Random seed; the same seed and ``n_cameras`` give identical frames.
    n_cameras : int
        Total cameras, including the 80 scenario cameras whose ids are fixed.

    Returns
    -------
    DemoCity
    """
    rng = np.random.default_rng(seed)
    districts = build_districts()
    zones = build_event_zones()
    cameras = build_cameras(rng, n_cameras, zones)
    cameras["district_code"] = _district_of(cameras, districts)
    cameras["location_name"] = camera_location_names(cameras, build_places())
    return DemoCity(
        seed=seed,
        districts=districts,
        cameras=cameras,
        event_zones=zones,
        low_lying=build_low_lying(),
        rain_gauges=build_rain_gauges(),
        land=land(),
    )


def _district_of(points: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> np.ndarray:
    """District code of each point (the nearest district for points on the coast)."""
    joined = gpd.sjoin_nearest(points[["geometry"]].to_crs(HONG_KONG.metric_crs),
                               districts[["code", "geometry"]].to_crs(HONG_KONG.metric_crs), how="left")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined["code"].reindex(points.index).to_numpy()
