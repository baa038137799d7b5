"""Authored footfall anchors: where the demo city's cameras cluster.

Every anchor is a place the project picked from general knowledge of Hong
Kong (urban cores, harbour promenades, public housing estates, road-tunnel
portals, leisure venues, boundary control points), with a relative footfall
weight and a spread.  Cameras are drawn around anchors in proportion to
their weights, so the demo network is dense where people are.

Coordinates are WGS84 (EPSG:4326) as (longitude, latitude); spreads are
metres in the HK1980 Grid (EPSG:2326).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Anchor:
    """A footfall anchor.

    Attributes
    ----------
    name : str
    lon, lat : float
        Centre, EPSG:4326 degrees.
    owner_code : str
        Department whose cameras cluster here (HKPF, HD, TD, LCSD, ImmD).
    kind : str
        Camera kind placed here (street, promenade, estate, tunnel_portal,
        venue, boundary_control).
    weight : float
        Relative footfall (number of cameras is proportional to it).
    spread_m : float
        Standard deviation of camera positions around the centre, metres.
    """

    name: str
    lon: float
    lat: float
    owner_code: str
    kind: str
    weight: float
    spread_m: float


def _street(name: str, lon: float, lat: float, weight: float, spread: float = 450.0) -> Anchor:
    return Anchor(name, lon, lat, "HKPF", "street", weight, spread)


def _estate(name: str, lon: float, lat: float, weight: float = 1.0) -> Anchor:
    return Anchor(name, lon, lat, "HD", "estate", weight, 180.0)


def _tunnel(name: str, lon: float, lat: float) -> Anchor:
    return Anchor(name, lon, lat, "TD", "tunnel_portal", 1.0, 90.0)


def _venue(name: str, lon: float, lat: float, weight: float = 1.0) -> Anchor:
    return Anchor(name, lon, lat, "LCSD", "venue", weight, 150.0)


def _control(name: str, lon: float, lat: float, weight: float = 1.0) -> Anchor:
    return Anchor(name, lon, lat, "ImmD", "boundary_control", weight, 120.0)


STREETS = (
    _street("Mong Kok", 114.1700, 22.3190, 9.0, 500),
    _street("Tsim Sha Tsui", 114.1720, 22.2990, 8.0, 450),
    _street("Yau Ma Tei and Jordan", 114.1700, 22.3080, 5.0),
    _street("Sham Shui Po", 114.1620, 22.3300, 5.0),
    _street("Central", 114.1580, 22.2820, 8.0, 400),
    _street("Wan Chai", 114.1730, 22.2780, 5.0),
    _street("Causeway Bay", 114.1840, 22.2800, 8.0, 400),
    _street("North Point", 114.2000, 22.2900, 3.5),
    _street("Shau Kei Wan and Chai Wan", 114.2330, 22.2720, 3.0, 600),
    _street("Kwun Tong", 114.2250, 22.3120, 5.0),
    _street("Kowloon City and To Kwa Wan", 114.1900, 22.3260, 3.0),
    _street("Wong Tai Sin", 114.1935, 22.3415, 3.0),
    _street("Sha Tin", 114.1880, 22.3820, 4.0, 600),
    _street("Tsuen Wan", 114.1170, 22.3710, 4.0),
    _street("Kwai Chung", 114.1300, 22.3570, 2.5),
    _street("Tuen Mun", 113.9750, 22.3930, 3.5, 600),
    _street("Yuen Long", 114.0300, 22.4450, 3.5, 550),
    _street("Tin Shui Wai", 114.0030, 22.4600, 2.5),
    _street("Sheung Shui and Fanling", 114.1280, 22.5020, 2.5, 700),
    _street("Tai Po", 114.1680, 22.4500, 2.5),
    _street("Ma On Shan", 114.2320, 22.4220, 1.5),
    _street("Tseung Kwan O", 114.2600, 22.3100, 3.0),
    _street("Sai Kung town", 114.2720, 22.3820, 0.8, 300),
    _street("Tung Chung", 113.9430, 22.2880, 1.5),
    _street("Aberdeen", 114.1550, 22.2490, 1.5),
    _street("Stanley", 114.2120, 22.2190, 0.6, 250),
    _street("Kennedy Town and Sai Ying Pun", 114.1350, 22.2850, 2.0),
)

#: Promenade cameras along Victoria Harbour (event zones get more of them
#: from the fireworks scenario).
PROMENADES = (
    Anchor("Tsim Sha Tsui promenade", 114.1735, 22.2940, "LCSD", "promenade", 2.0, 250.0),
    Anchor("Central harbourfront", 114.1620, 22.2870, "LCSD", "promenade", 1.5, 250.0),
    Anchor("Wan Chai waterfront", 114.1780, 22.2850, "LCSD", "promenade", 1.2, 250.0),
    Anchor("North Point promenade", 114.2050, 22.2925, "LCSD", "promenade", 0.6, 250.0),
    Anchor("West Kowloon waterfront", 114.1580, 22.2985, "LCSD", "promenade", 0.8, 250.0),
)

ESTATES = (
    _estate("Shek Kip Mei Estate", 114.1670, 22.3340),
    _estate("So Uk Estate", 114.1560, 22.3400),
    _estate("Choi Hung Estate", 114.2060, 22.3350),
    _estate("Ping Shek Estate", 114.2130, 22.3330),
    _estate("Shun Lee Estate", 114.2240, 22.3330),
    _estate("Sau Mau Ping Estate", 114.2310, 22.3200, 1.5),
    _estate("Lam Tin Estate", 114.2360, 22.3080),
    _estate("Wong Tai Sin Lower Estate", 114.1920, 22.3390),
    _estate("Tsz Wan Shan Estate", 114.2000, 22.3490),
    _estate("Oi Man Estate", 114.1800, 22.3140),
    _estate("Kwai Fong Estate", 114.1290, 22.3590),
    _estate("Cheung Hong Estate", 114.1000, 22.3530),
    _estate("Lek Yuen Estate", 114.1900, 22.3840),
    _estate("Sun Chui Estate", 114.1820, 22.3700),
    _estate("Tin Shui Wai estates", 114.0000, 22.4560, 2.0),
    _estate("Butterfly Estate", 113.9650, 22.3780),
    _estate("Tai Hing Estate", 113.9670, 22.4050),
    _estate("Tung Chung estates", 113.9400, 22.2900, 1.2),
    _estate("Wah Fu Estate", 114.1380, 22.2530),
    _estate("Lei Tung Estate", 114.1550, 22.2420),
    _estate("Hing Wah Estate", 114.2380, 22.2650),
    _estate("Yiu Tung Estate", 114.2250, 22.2780),
    _estate("Choi Ming Court", 114.2560, 22.3120),
    _estate("Fu Shan Estate", 114.1950, 22.3480),
    _estate("Cheung Sha Wan estates", 114.1550, 22.3350),
    _estate("Shek Wai Kok Estate", 114.1130, 22.3760),
    _estate("Fu Heng Estate", 114.1730, 22.4570),
    _estate("Tin Ping Estate", 114.1300, 22.5010),
)

TUNNEL_PORTALS = (
    _tunnel("Cross-Harbour Tunnel, Hung Hom", 114.1820, 22.3010),
    _tunnel("Cross-Harbour Tunnel, Causeway Bay", 114.1800, 22.2850),
    _tunnel("Eastern Harbour Crossing, Quarry Bay", 114.2140, 22.2870),
    _tunnel("Eastern Harbour Crossing, Cha Kwo Ling", 114.2290, 22.3030),
    _tunnel("Western Harbour Crossing, Sai Ying Pun", 114.1440, 22.2890),
    _tunnel("Western Harbour Crossing, West Kowloon", 114.1570, 22.3030),
    _tunnel("Lion Rock Tunnel, Kowloon", 114.1800, 22.3440),
    _tunnel("Lion Rock Tunnel, Sha Tin", 114.1780, 22.3680),
    _tunnel("Tate's Cairn Tunnel, Kowloon", 114.2050, 22.3480),
    _tunnel("Tate's Cairn Tunnel, Sha Tin", 114.2060, 22.3700),
    _tunnel("Shing Mun Tunnels, Tsuen Wan", 114.1420, 22.3710),
    _tunnel("Shing Mun Tunnels, Sha Tin", 114.1650, 22.3860),
    _tunnel("Aberdeen Tunnel, Happy Valley", 114.1800, 22.2700),
    _tunnel("Aberdeen Tunnel, Wong Chuk Hang", 114.1720, 22.2520),
    _tunnel("Tai Lam Tunnel, Ting Kau", 114.0700, 22.4000),
    _tunnel("Tai Lam Tunnel, Yuen Long", 114.0600, 22.4280),
    _tunnel("Tseung Kwan O Tunnel, Kwun Tong", 114.2240, 22.3250),
    _tunnel("Tseung Kwan O Tunnel, Tseung Kwan O", 114.2450, 22.3200),
    _tunnel("Eagle's Nest Tunnel, Cheung Sha Wan", 114.1600, 22.3460),
    _tunnel("Eagle's Nest Tunnel, Tai Wai", 114.1630, 22.3640),
    _tunnel("Central-Wan Chai Bypass, Central", 114.1650, 22.2860),
    _tunnel("Central-Wan Chai Bypass, North Point", 114.1950, 22.2900),
)

VENUES = (
    _venue("Hong Kong Stadium", 114.1930, 22.2710),
    _venue("Victoria Park", 114.1890, 22.2820, 1.5),
    _venue("Kai Tak Sports Park", 114.1980, 22.3240, 2.0),
    _venue("Hong Kong Coliseum", 114.1820, 22.3020),
    _venue("Kowloon Park", 114.1700, 22.3010, 1.2),
    _venue("Sha Tin Park", 114.1880, 22.3800),
    _venue("Mong Kok Stadium", 114.1700, 22.3210),
    _venue("Hong Kong Cultural Centre", 114.1700, 22.2940),
    _venue("Tsuen Wan Park", 114.1080, 22.3680),
    _venue("Tuen Mun Park", 113.9750, 22.3900),
    _venue("Yuen Long Stadium", 114.0270, 22.4420),
    _venue("Kowloon Walled City Park", 114.1900, 22.3320),
    _venue("Morse Park", 114.1900, 22.3390),
    _venue("Ma On Shan Park", 114.2300, 22.4240),
)

CONTROL_POINTS = (
    _control("Lo Wu", 114.1130, 22.5280, 2.0),
    _control("Lok Ma Chau Spur Line", 114.0830, 22.5150, 1.5),
    _control("Lok Ma Chau", 114.0730, 22.5100),
    _control("Heung Yuen Wai", 114.1450, 22.5450),
    _control("Sha Tau Kok", 114.2180, 22.5420, 0.5),
    _control("Hong Kong International Airport", 113.9150, 22.3080, 2.5),
    _control("Hong Kong-Zhuhai-Macao Bridge Hong Kong Port", 113.9500, 22.3120, 1.0),
    _control("Hong Kong-Macau Ferry Terminal", 114.1520, 22.2880),
    _control("China Ferry Terminal", 114.1665, 22.2975),
    _control("Kai Tak Cruise Terminal", 114.2140, 22.3040, 0.5),
    _control("West Kowloon Station", 114.1640, 22.3040, 1.5),
)

ANCHORS: tuple[Anchor, ...] = STREETS + PROMENADES + ESTATES + TUNNEL_PORTALS + VENUES + CONTROL_POINTS

#: Share of the network owned by each department (sums to 1): the police
#: run the street network; partners bring their estates, tunnels, venues and
#: control points.
OWNER_SHARES: dict[str, float] = {"HKPF": 0.40, "HD": 0.25, "TD": 0.10, "LCSD": 0.15, "ImmD": 0.10}
