"""Scenario geometry: fireworks viewing zones, low-lying places, rain gauges.

Built from the authored specs in :mod:`geodata.democity.scenarios` and the
land outline; all frames are WGS84 (EPSG:4326), distances in metres are
measured in the HK1980 Grid (EPSG:2326).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, Point

from hexops.democity import scenarios
from hexops.democity.districts import DISTRICTS, METRIC_CRS
from hexops.democity.outline import land

#: Standing room the capacity assumes, people per square metre: 0.28 m2 per
#: person, the boundary between Fruin's queuing levels of service D and E
#: (beyond it standing people cannot avoid touching each other).
CAPACITY_DENSITY_P_M2 = 3.6

#: How far from its harbour-front line a zone may reach to find its area, metres.
MAX_ZONE_REACH_M = 600.0

#: Radius of a low-lying place's footprint, metres.
LOW_LYING_RADIUS_M = 120.0


def _land_metric():
    return gpd.GeoSeries([land()], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0]


def _land_near(line, land_m, reach_m: float):
    """The largest piece of land within ``reach_m`` of ``line`` (a buffer can clip a sliver across a pier)."""
    zone = line.buffer(reach_m, cap_style="flat").intersection(land_m)
    return max(getattr(zone, "geoms", [zone]), key=lambda g: g.area)


def zone_shape(line, land_m, area_m2: float, zone_id: str = "?"):
    """The land nearest a harbour-front line with the given area (EPSG:2326, m2).

    The demo's outline is coarse (it is a few hundred metres off in places and
    will be replaced), so a zone is not a fixed-width strip but the land
    closest to its line, grown until it holds the real walkable area: the
    area is the real one whatever the outline, the shape follows the coast.
    """
    if _land_near(line, land_m, MAX_ZONE_REACH_M).area < area_m2:
        raise ValueError(f"zone {zone_id}: less than {area_m2:,.0f} m2 of land within {MAX_ZONE_REACH_M:.0f} m "
                         "of its harbour-front line")
    low, high = 0.0, MAX_ZONE_REACH_M
    for _ in range(30):   # bisection on the reach: area grows with it
        mid = (low + high) / 2
        if _land_near(line, land_m, mid).area < area_m2:
            low = mid
        else:
            high = mid
    return _land_near(line, land_m, high)


def build_event_zones() -> gpd.GeoDataFrame:
    """Fireworks viewing zones: for each, the land nearest its harbour front with the real walkable area.

    Returns
    -------
    geopandas.GeoDataFrame
        ``zone_id``, ``name``, ``capacity`` (people at
        :data:`CAPACITY_DENSITY_P_M2`), ``area_m2``, ``peak_density_p_m2`` and
        ``geometry`` (Polygon, EPSG:4326).
    """
    land_m = _land_metric()
    lines = gpd.GeoSeries([LineString(z.shoreline) for z in scenarios.FIREWORKS.zones], crs="EPSG:4326")
    strips = lines.to_crs(METRIC_CRS)
    shapes = [zone_shape(line, land_m, spec.walkable_area_m2, spec.zone_id)
              for line, spec in zip(strips, scenarios.FIREWORKS.zones)]
    metric = gpd.GeoSeries(shapes, crs=METRIC_CRS)
    area = metric.area.to_numpy()
    return gpd.GeoDataFrame(
        {
            "zone_id": [z.zone_id for z in scenarios.FIREWORKS.zones],
            "name": [z.name for z in scenarios.FIREWORKS.zones],
            "capacity": np.round(area * CAPACITY_DENSITY_P_M2).astype(int),
            "area_m2": area,
            "peak_density_p_m2": [z.peak_density_p_m2 for z in scenarios.FIREWORKS.zones],
        },
        geometry=metric.to_crs("EPSG:4326").to_numpy(),
        crs="EPSG:4326",
    )


def build_low_lying() -> gpd.GeoDataFrame:
    """Flood-prone places as discs of 120 m around their cell centres.

    Returns
    -------
    geopandas.GeoDataFrame
        ``place_id``, ``name``, ``district_code``, ``prior``, ``h3_r9``,
        ``h3_r10`` (BIGINT cells) and ``geometry`` (Polygon, EPSG:4326).
    """
    places = scenarios.LOW_LYING
    centres = gpd.GeoSeries([Point(p.centre()) for p in places], crs="EPSG:4326")
    discs = centres.to_crs(METRIC_CRS).buffer(LOW_LYING_RADIUS_M).to_crs("EPSG:4326")
    return gpd.GeoDataFrame(
        {
            "place_id": [p.place_id for p in places],
            "name": [p.name for p in places],
            "district_code": [p.district_code for p in places],
            "prior": [p.prior for p in places],
            "h3_r9": np.array([p.cell(9) for p in places], dtype=np.int64),
            "h3_r10": np.array([p.cell(10) for p in places], dtype=np.int64),
        },
        geometry=discs.to_numpy(),
        crs="EPSG:4326",
    )


def build_rain_gauges() -> gpd.GeoDataFrame:
    """One rain gauge at each district seed point that lies on land.

    Returns
    -------
    geopandas.GeoDataFrame
        ``station_id`` (``RG-<district><n>``), ``district_code`` and
        ``geometry`` (Point, EPSG:4326).
    """
    outline = land()
    rows = []
    for code, _, _, seeds in DISTRICTS:
        on_land = [pt for pt in seeds if shapely.contains_xy(outline, *pt)]
        for i, (lon, lat) in enumerate(on_land, start=1):
            rows.append({"station_id": f"RG-{code}{i}", "district_code": code, "geometry": Point(lon, lat)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
