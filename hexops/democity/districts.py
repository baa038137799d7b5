"""The 18 demo districts: Voronoi cells around authored seed points, clipped to land.

Each District Council district gets a few seed points near its real centres
(placed by the project); the Voronoi cells of all seeds are computed in the
HK1980 Grid (EPSG:2326, metres, so that "nearest" is a true distance),
merged per district and clipped to :func:`geodata.democity.outline.land`.
The result is coarse but has the right neighbours and sizes; real boundaries
replace it through ``hexops load districts``.
"""

from __future__ import annotations

import geopandas as gpd
import shapely
from shapely.geometry import MultiPoint, MultiPolygon

from hexops.democity.outline import land
from hexops.city import HONG_KONG

METRIC_CRS = HONG_KONG.metric_crs

#: (code, English name, Chinese name, seed points (lon, lat) in EPSG:4326).
#: Codes are the District Council letters used by the Census and Statistics
#: Department's boundary files, so real boundaries load over these by code.
DISTRICTS: tuple[tuple[str, str, str, tuple[tuple[float, float], ...]], ...] = (
    ("A", "Central and Western", "中西區", ((114.150, 22.283), (114.130, 22.278), (114.160, 22.278))),
    ("B", "Wan Chai", "灣仔區", ((114.175, 22.277), (114.185, 22.272))),
    ("C", "Eastern", "東區", ((114.205, 22.287), (114.225, 22.278), (114.245, 22.263))),
    ("D", "Southern", "南區", ((114.150, 22.250), (114.190, 22.240), (114.215, 22.215), (114.245, 22.230))),
    ("E", "Yau Tsim Mong", "油尖旺區", ((114.170, 22.300), (114.170, 22.315), (114.160, 22.305))),
    ("F", "Sham Shui Po", "深水埗區", ((114.160, 22.330), (114.145, 22.335), (114.165, 22.340))),
    ("G", "Kowloon City", "九龍城區", ((114.190, 22.320), (114.185, 22.330), (114.205, 22.310))),
    ("H", "Wong Tai Sin", "黃大仙區", ((114.195, 22.342), (114.210, 22.340))),
    ("J", "Kwun Tong", "觀塘區", ((114.225, 22.312), (114.235, 22.305), (114.230, 22.320))),
    ("K", "Tsuen Wan", "荃灣區", ((114.115, 22.372), (114.080, 22.372), (114.120, 22.395), (114.050, 22.372))),
    ("L", "Tuen Mun", "屯門區", ((113.975, 22.390), (113.940, 22.390), (113.960, 22.420), (114.010, 22.375))),
    ("M", "Yuen Long", "元朗區", ((114.030, 22.445), (114.000, 22.460), (114.060, 22.470), (113.950, 22.450))),
    ("N", "North", "北區", ((114.130, 22.500), (114.100, 22.520), (114.170, 22.520), (114.220, 22.530), (114.300, 22.505))),
    ("P", "Tai Po", "大埔區", ((114.165, 22.450), (114.130, 22.450), (114.210, 22.460), (114.290, 22.460))),
    ("Q", "Sai Kung", "西貢區", ((114.270, 22.380), (114.260, 22.315), (114.290, 22.290), (114.340, 22.400), (114.300, 22.340))),
    ("R", "Sha Tin", "沙田區", ((114.190, 22.380), (114.225, 22.415), (114.200, 22.360), (114.170, 22.395))),
    ("S", "Kwai Tsing", "葵青區", ((114.130, 22.360), (114.100, 22.352), (114.140, 22.345))),
    ("T", "Islands", "離島區", ((113.940, 22.280), (114.010, 22.280), (113.880, 22.240), (113.920, 22.310),
                              (114.125, 22.210), (114.025, 22.210), (114.045, 22.305))),
)


def build_districts() -> gpd.GeoDataFrame:
    """The 18 demo districts.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code``, ``name_en``, ``name_zh`` and ``geometry``
        (MultiPolygon, EPSG:4326), one row per district, in code order.
    """
    seeds = [(code, pt) for code, _, _, points in DISTRICTS for pt in points]
    seed_pts = gpd.GeoSeries(shapely.points([pt for _, pt in seeds]), crs="EPSG:4326").to_crs(METRIC_CRS)
    land_m = gpd.GeoSeries([land()], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0]
    cells = shapely.voronoi_polygons(MultiPoint(list(seed_pts)), extend_to=land_m.envelope.buffer(5000))
    # voronoi_polygons does not keep the input order: match each cell to the seed it contains.
    cell_list = list(cells.geoms)
    owner: dict[str, list] = {code: [] for code, *_ in DISTRICTS}
    for (code, _), pt in zip(seeds, seed_pts):
        match = next(c for c in cell_list if c.contains(pt))
        owner[code].append(match)
    rows = []
    for code, name_en, name_zh, _ in DISTRICTS:
        shape = shapely.union_all(owner[code]).intersection(land_m)
        rows.append({"code": code, "name_en": name_en, "name_zh": name_zh, "geometry": shape})
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS).to_crs("EPSG:4326")
    frame["geometry"] = [_as_multipolygon(g) for g in frame.geometry]
    return frame


def _as_multipolygon(geom) -> MultiPolygon:
    geom = shapely.make_valid(geom)
    polys = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon" and not g.is_empty]
    return MultiPolygon(polys)
