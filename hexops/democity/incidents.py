"""A year of demo incidents with hotspots and near-repeat clustering.

Incidents follow a self-exciting (Hawkes) point process built by its
branching structure: background incidents arrive in proportion to street
footfall (the police's street anchors), with a daily rhythm; each incident
then triggers offspring nearby and soon after (burglars return to the same
block, disputes flare again), which is the near-repeat pattern that crime
forecasters exploit.  Positions are drawn in the HK1980 Grid (EPSG:2326,
metres) and returned as WGS84 (EPSG:4326) lat/lon.
"""

from __future__ import annotations

from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hexops.democity.districts import METRIC_CRS
from hexops.analytics.fov import to_metric, to_wgs84
from hexops.democity.places import STREETS
from hexops.city import HONG_KONG

#: Incident types with their share of background incidents (offspring keep
#: their parent's type: a burglary run is burglaries).
TYPES: dict[str, float] = {
    "theft": 0.42,
    "burglary": 0.16,
    "assault": 0.17,
    "criminal_damage": 0.15,
    "robbery": 0.10,
}

#: Background incidents per day across the city.
BACKGROUND_PER_DAY = 28.0
#: Mean offspring per incident (branching ratio, < 1 so the process is stable).
BRANCHING_RATIO = 0.35
#: Mean delay of an offspring after its parent, days (exponential).
OFFSPRING_DELAY_DAYS = 3.0
#: Spatial spread of offspring around their parent, metres (Gaussian).
OFFSPRING_SPREAD_M = 120.0
#: Share of incidents found by patrols rather than reported by the public.
PATROL_SHARE = 0.22

#: Relative incident rate by local hour 0..23 (evening and night heavier).
HOURLY = np.array([1.4, 1.2, 1.0, 0.8, 0.6, 0.5, 0.5, 0.6, 0.8, 0.9, 1.0, 1.0,
                   1.1, 1.1, 1.0, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.6, 1.5])


def simulate_incidents(city, start: datetime, end: datetime, seed: int = 11) -> pd.DataFrame:
    """Simulate incidents between ``start`` and ``end``.

    Parameters
    ----------
    city : geodata.democity.DemoCity
        Supplies the land outline (incidents happen on land).
    start, end : datetime
        Timezone-aware bounds (UTC inside).
    seed : int
        The same seed and bounds give identical incidents.

    Returns
    -------
    pandas.DataFrame
        ``external_id``, ``occurred_at`` (UTC timestamps), ``type``,
        ``source`` ('public' or 'patrol'), ``lat``, ``lon`` (EPSG:4326),
        sorted by time.
    """
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start).tz_convert("UTC")
    t1 = pd.Timestamp(end).tz_convert("UTC")
    span_days = (t1 - t0).total_seconds() / 86400.0
    land_m = gpd.GeoSeries([city.land], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0]
    shapely.prepare(land_m)

    t, x, y, kind = _background(rng, span_days, t0, land_m)
    all_t, all_x, all_y, all_kind = [t], [x], [y], [kind]
    while t.size:
        n_children = rng.poisson(BRANCHING_RATIO, t.size)
        parents = np.repeat(np.arange(t.size), n_children)
        t = t[parents] + rng.exponential(OFFSPRING_DELAY_DAYS, parents.size)
        x = x[parents] + rng.normal(0, OFFSPRING_SPREAD_M, parents.size)
        y = y[parents] + rng.normal(0, OFFSPRING_SPREAD_M, parents.size)
        kind = kind[parents]
        keep = (t < span_days) & shapely.contains_xy(land_m, x, y)
        t, x, y, kind = t[keep], x[keep], y[keep], kind[keep]
        all_t.append(t), all_x.append(x), all_y.append(y), all_kind.append(kind)

    t = np.concatenate(all_t)
    order = np.argsort(t, kind="stable")
    t = t[order]
    lon, lat = to_wgs84(np.concatenate(all_x)[order], np.concatenate(all_y)[order])
    types = np.concatenate(all_kind)[order]
    occurred = t0 + pd.to_timedelta(np.round(t * 86400.0), unit="s")
    source = np.where(rng.random(t.size) < PATROL_SHARE, "patrol", "public")
    year = t0.tz_convert(HONG_KONG.time_zone).year
    return pd.DataFrame({
        "external_id": [f"DEMO-{year}-{i:06d}" for i in range(1, t.size + 1)],
        "occurred_at": occurred,
        "type": types,
        "source": source,
        "lat": np.round(lat, 6),
        "lon": np.round(lon, 6),
    })


def _background(rng: np.random.Generator, span_days: float, t0: pd.Timestamp, land_m):
    """Background incidents: Poisson in time (daily rhythm), footfall in space."""
    n = rng.poisson(BACKGROUND_PER_DAY * span_days)
    # Thinning by the hourly profile, in Hong Kong local time.
    candidates = rng.uniform(0, span_days, int(n * 1.8) + 10)
    hours = ((t0.tz_convert(HONG_KONG.time_zone).hour + candidates * 24.0) % 24).astype(int)
    keep = rng.random(candidates.size) < HOURLY[hours] / HOURLY.max()
    t = np.sort(candidates[keep][:n])
    weights = np.array([a.weight for a in STREETS])
    pick = rng.choice(len(STREETS), size=t.size, p=weights / weights.sum())
    cx, cy = to_metric(np.array([a.lon for a in STREETS]), np.array([a.lat for a in STREETS]))
    spread = np.array([a.spread_m for a in STREETS])
    x = cx[pick] + rng.normal(0, 1, t.size) * spread[pick]
    y = cy[pick] + rng.normal(0, 1, t.size) * spread[pick]
    on_land = shapely.contains_xy(land_m, x, y)
    types = np.array(list(TYPES))
    kind = types[rng.choice(len(types), size=t.size, p=np.array(list(TYPES.values())))]
    return t[on_land], x[on_land], y[on_land], kind[on_land]
