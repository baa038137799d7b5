"""The demo's scenarios as data: windows, places, expected alerts.

Every time here is a timezone-aware UTC ``datetime``; the Hong Kong time
(HKT = UTC+8, no daylight saving) is noted beside it.  Other areas' tests
assert against these constants (which zones should alert during the
fireworks, which low-lying hexes should flood in the rainstorm), so they
are part of hexops's contract: change them only with those tests.

Coordinates are WGS84 (EPSG:4326) as (longitude, latitude).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import h3.api.basic_int as h3i

UTC = timezone.utc
HKT = timezone(timedelta(hours=8), "HKT")


def hkt(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Hong Kong local time converted to UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=HKT).astimezone(UTC)


#: The demo's detection window: 2026-10-01 00:00 HKT to 2026-10-03 00:00 HKT
#: (2026-09-30 16:00 UTC to 2026-10-02 16:00 UTC).
DEMO_START: datetime = hkt(2026, 10, 1)
DEMO_END: datetime = hkt(2026, 10, 3)

#: The incident history: 2025-10-01 00:00 HKT to 2026-10-01 00:00 HKT, a year
#: that ends where the demo window starts.
HISTORY_START: datetime = hkt(2025, 10, 1)
HISTORY_END: datetime = hkt(2026, 10, 1)

#: Public holidays inside the demo window (local dates): they follow the
#: Sunday rhythm.  2026-10-01 is National Day (a Thursday).
HOLIDAYS_HKT: tuple[str, ...] = ("2026-10-01",)


@dataclass(frozen=True)
class EventZoneSpec:
    """A harbour-front viewing zone of the fireworks.

    Attributes
    ----------
    zone_id, name : str
    shoreline : tuple of (lon, lat)
        The stretch of harbour front the zone follows (EPSG:4326); the zone is
        the demo land nearest to it, as much of it as the real walkable area.
    length_m, width_m : float
        The real viewing area's length along the harbour and its mean
        walkable width, metres (estimated from the promenade's layout, not
        surveyed: see docs/demo-city.md); the zone's area is their product.
    peak_density_p_m2 : float
        Mean crowd density over the zone during the show, people per square metre.
    n_cameras : int
        Promenade cameras placed inside the zone (ids ``LCSD-<zone_id>-NN``).
    """

    zone_id: str
    name: str
    shoreline: tuple[tuple[float, float], ...]
    length_m: float
    width_m: float
    peak_density_p_m2: float
    n_cameras: int

    @property
    def walkable_area_m2(self) -> float:
        """The real viewing area, m2 (length times mean walkable width)."""
        return self.length_m * self.width_m

    @property
    def peak_people(self) -> float:
        """People in the zone during the show at its mean peak density."""
        return self.walkable_area_m2 * self.peak_density_p_m2


@dataclass(frozen=True)
class Fireworks:
    """National Day fireworks over Victoria Harbour, 2026-10-01.

    Crowds build from 18:00 HKT (10:00 UTC), reach the peak at 20:30 HKT
    (12:30 UTC), hold it through the show (21:00-21:23 HKT, 13:00-13:23 UTC)
    to 21:30 HKT (13:30 UTC), and disperse by 22:30 HKT (14:30 UTC).
    """

    build_start: datetime
    peak_start: datetime
    show_start: datetime
    show_end: datetime
    peak_end: datetime
    dispersed_by: datetime
    zones: tuple[EventZoneSpec, ...]
    #: Zones whose peak density exceeds :attr:`alert_density_p_m2`: a crowd
    #: monitor should alert on these, and on no other zone.
    expected_zones: tuple[str, ...]
    #: The densest zone: mean density above 4 people/m2 at the peak, where
    #: some cameras saturate (``saturated`` true, ``people`` a lower bound).
    densest_zone: str
    #: The density the scenario treats as crowded (people/m2).
    alert_density_p_m2: float


#: The harbour-front viewing areas of the National Day fireworks.  Areas are
#: the real promenades' (length x mean walkable width, estimated from their
#: layout); densities are the zone means during the show: packed viewing
#: areas 2.4-3.2 people/m2, the Tsim Sha Tsui front at 4.1 (the top of the
#: packed range, reached only during the show), the outer promenades loosely
#: filled.  Together they hold about 400,000 people at the show, inside the
#: police's published whole-harbour estimates (over 340,000 in 2025, about
#: 430,000 in 2023).
_ZONES = (
    EventZoneSpec("TST", "Tsim Sha Tsui promenade and Avenue of Stars",
                  ((114.1685, 22.2933), (114.1780, 22.2942), (114.1850, 22.2975)), 1800.0, 20.0, 4.1, 16),
    EventZoneSpec("WCH", "Wan Chai waterfront and Golden Bauhinia Square",
                  ((114.1700, 22.2855), (114.1780, 22.2845), (114.1855, 22.2855)), 1600.0, 12.0, 3.2, 10),
    EventZoneSpec("CEN", "Central harbourfront event space",
                  ((114.1550, 22.2895), (114.1630, 22.2875), (114.1695, 22.2856)), 1550.0, 15.0, 2.6, 10),
    EventZoneSpec("WKCD", "West Kowloon Art Park",
                  ((114.1500, 22.3040), (114.1570, 22.2965), (114.1640, 22.2965)), 1800.0, 18.0, 2.4, 8),
    EventZoneSpec("HH", "Hung Hom promenade",
                  ((114.1860, 22.2985), (114.1910, 22.3080)), 1200.0, 12.0, 1.6, 6),
    EventZoneSpec("NP", "North Point and Quarry Bay promenade",
                  ((114.1960, 22.2917), (114.2050, 22.2933), (114.2140, 22.2897)), 2000.0, 8.0, 1.1, 6),
    EventZoneSpec("KTRP", "Kai Tak Runway Park",
                  ((114.2070, 22.3070), (114.2175, 22.2985)), 1400.0, 12.0, 0.8, 4),
)

#: The police's published estimates of the whole harbour's fireworks crowd (people):
#: over 340,000 (2025) and about 430,000 (2023).
POLICE_ESTIMATE_RANGE = (340_000, 430_000)

FIREWORKS = Fireworks(
    build_start=hkt(2026, 10, 1, 18, 0),
    peak_start=hkt(2026, 10, 1, 20, 30),
    show_start=hkt(2026, 10, 1, 21, 0),
    show_end=hkt(2026, 10, 1, 21, 23),
    peak_end=hkt(2026, 10, 1, 21, 30),
    dispersed_by=hkt(2026, 10, 1, 22, 30),
    zones=_ZONES,
    expected_zones=tuple(z.zone_id for z in _ZONES if z.peak_density_p_m2 > 2.0),
    densest_zone="TST",
    alert_density_p_m2=2.0,
)


@dataclass(frozen=True)
class LowLyingPlace:
    """A flood-prone place (a dip in the road, an underpass, a low estate).

    The place is centred on the centre of the resolution-9 H3 cell that
    contains ``(lon, lat)``, so that its cameras (within 40 m of the centre)
    share one resolution-9 and one resolution-10 cell.

    Attributes
    ----------
    place_id, name, district_code : str
    lon, lat : float
        Authored location, EPSG:4326 degrees.
    prior : float
        Prior probability (0..1) that heavy rain floods it.
    n_cameras : int
        Cameras placed at it (ids ``<owner>-<place_id>-N``).
    owner_code : str
    """

    place_id: str
    name: str
    district_code: str
    lon: float
    lat: float
    prior: float
    n_cameras: int
    owner_code: str = "HKPF"

    def cell(self, resolution: int = 9) -> int:
        """The H3 cell (BIGINT form) of the place's centre at ``resolution``."""
        centre = h3i.latlng_to_cell(self.lat, self.lon, 9)
        if resolution == 9:
            return centre
        lat, lng = h3i.cell_to_latlng(centre)
        return h3i.latlng_to_cell(lat, lng, resolution)

    def centre(self) -> tuple[float, float]:
        """(lon, lat) of the place's centre (its resolution-9 cell's centre)."""
        lat, lng = h3i.cell_to_latlng(h3i.latlng_to_cell(self.lat, self.lon, 9))
        return lng, lat


LOW_LYING: tuple[LowLyingPlace, ...] = (
    LowLyingPlace("WTS", "Wong Tai Sin, Lung Cheung Road dip", "H", 114.1935, 22.3418, 0.7, 3),
    LowLyingPlace("CWH", "Chai Wan, Hing Wah estate", "C", 114.2375, 22.2655, 0.6, 3, "HD"),
    LowLyingPlace("HPV", "Happy Valley, Wong Nai Chung Road", "B", 114.1830, 22.2705, 0.5, 3),
    LowLyingPlace("NTK", "Ngau Tau Kok underpass", "J", 114.2190, 22.3155, 0.4, 3),
    LowLyingPlace("SHW", "Sheung Wan, Wing Lok Street", "A", 114.1505, 22.2868, 0.4, 2),
    LowLyingPlace("MKS", "Mong Kok, Shantung Street", "E", 114.1695, 22.3185, 0.3, 2),
    LowLyingPlace("KTN", "Kam Tin, San Tin Road", "M", 114.0630, 22.4430, 0.5, 2),
    LowLyingPlace("TAO", "Tai O stilt-house village", "T", 113.8620, 22.2530, 0.6, 1),
)


@dataclass(frozen=True)
class Rainstorm:
    """The afternoon rainstorm of 2026-10-02.

    Rain starts at 14:00 HKT (06:00 UTC), reaches Black Rainstorm intensity
    (> 70 mm/h) from 15:30 to 16:30 HKT (07:30-08:30 UTC) over
    :attr:`black_rain_districts`, and ends by 18:00 HKT (10:00 UTC).  Roads
    at :attr:`flooding_places` flood, each seen by at least two cameras;
    they drain by :attr:`flood_end`.  In :attr:`light_rain_district` only a
    drizzle falls, but the camera :attr:`lone_wet_camera` reports ``wet``
    throughout the storm: one camera alone, so not a flood.
    """

    start: datetime
    black_start: datetime
    black_end: datetime
    end: datetime
    #: Peak rain rate per district at the height of the storm, mm/h.
    peak_mm_per_h: dict[str, float]
    black_rain_districts: tuple[str, ...]
    flooding_places: tuple[str, ...]
    #: Flooding is reported from about this time ...
    flood_start: datetime
    #: ... until about this time.
    flood_end: datetime
    light_rain_district: str
    lone_wet_camera: str
    #: (lon, lat) of the lone wet camera, EPSG:4326.
    lone_wet_camera_at: tuple[float, float]

    def flooding_hexes(self, resolution: int = 9) -> tuple[int, ...]:
        """H3 cells (BIGINT form) that flood during the storm."""
        by_id = {p.place_id: p for p in LOW_LYING}
        return tuple(by_id[pid].cell(resolution) for pid in self.flooding_places)


RAINSTORM = Rainstorm(
    start=hkt(2026, 10, 2, 14, 0),
    black_start=hkt(2026, 10, 2, 15, 30),
    black_end=hkt(2026, 10, 2, 16, 30),
    end=hkt(2026, 10, 2, 18, 0),
    peak_mm_per_h={
        "H": 105.0, "J": 98.0, "C": 92.0, "B": 88.0,
        "G": 55.0, "E": 45.0, "F": 40.0, "A": 35.0, "D": 38.0, "Q": 42.0, "R": 35.0,
        "K": 12.0, "S": 15.0, "P": 10.0, "N": 4.0, "M": 2.0, "L": 1.5, "T": 3.0,
    },
    black_rain_districts=("H", "J", "C", "B"),
    flooding_places=("WTS", "CWH", "HPV", "NTK"),
    flood_start=hkt(2026, 10, 2, 15, 45),
    flood_end=hkt(2026, 10, 2, 17, 30),
    light_rain_district="L",
    lone_wet_camera="HKPF-LONE-TM",
    lone_wet_camera_at=(113.9760, 22.3915),
)


#: Detection windows the demo loads by default (UTC bounds): the fireworks
#: evening, 2026-10-01 17:00-23:30 HKT, and the storm afternoon, 2026-10-02
#: 13:00-19:00 HKT.  Each camera-window fans out into five camera-minute
#: rows, so the whole 48 hours (about 15 million camera-minute rows for
#: 5,200 cameras) is left to ``hexops city load --full``.
SCENARIO_WINDOWS: tuple[tuple[datetime, datetime], ...] = (
    (FIREWORKS.build_start - timedelta(hours=1), FIREWORKS.dispersed_by + timedelta(hours=1)),
    (RAINSTORM.start - timedelta(hours=1), RAINSTORM.end + timedelta(hours=1)),
)
