"""The city hexops serves: its time zone, extent, metric grid and H3 resolutions.

Every room reads these from the :class:`City` that the composition root holds
(``settings.city``) or, for a default argument, from :data:`HONG_KONG`; no
other module spells the time zone, the bounds or the metric CRS.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class City:
    """A deployment's city.

    Attributes
    ----------
    name : str
        Shown in page titles and exports.
    time_zone : str
        IANA name of the local time zone; pages and exports show it.
    bounds : tuple of float
        ``(west, south, east, north)`` in degrees, WGS84 (EPSG:4326): where
        cameras, zones and incidents may lie.
    metric_crs : str
        The local projected CRS in metres (accepted at the edges and used for
        areas and distances).
    resolutions : tuple of int
        The H3 resolutions stored (coarse to fine).
    default_resolution : int
        The H3 resolution pages and forecasts use when none is asked for.
    centre : tuple of float
        ``(lon, lat)`` in degrees, WGS84: where a map opens.
    """

    name: str
    time_zone: str
    bounds: tuple[float, float, float, float]
    metric_crs: str
    resolutions: tuple[int, ...]
    default_resolution: int
    centre: tuple[float, float]

    @cached_property
    def tz(self) -> ZoneInfo:
        """The local time zone as a :class:`zoneinfo.ZoneInfo`."""
        return ZoneInfo(self.time_zone)

    @property
    def metric_epsg(self) -> int:
        """The EPSG code of :attr:`metric_crs`."""
        return int(self.metric_crs.split(":")[1])

    def contains(self, lon: float, lat: float) -> bool:
        """Is ``(lon, lat)`` (degrees, WGS84) inside :attr:`bounds`?"""
        west, south, east, north = self.bounds
        return west <= lon <= east and south <= lat <= north


#: Hong Kong: HK1980 Grid (EPSG:2326) for metres, H3 resolutions 8-10.
HONG_KONG = City(
    name="Hong Kong",
    time_zone="Asia/Hong_Kong",
    bounds=(113.80, 22.13, 114.45, 22.58),
    metric_crs="EPSG:2326",
    resolutions=(8, 9, 10),
    default_resolution=9,
    centre=(114.17, 22.32),
)

CITIES: dict[str, City] = {"hong_kong": HONG_KONG}
