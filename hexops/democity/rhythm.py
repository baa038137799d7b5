"""The demo city's rhythms: daily and weekly footfall, the fireworks crowd, the storm.

Pure functions of time (pandas UTC timestamps, read in Hong Kong local time)
and of the camera registry, used by :mod:`ingest.simulator`.  Densities are
people per square metre of a camera's ground field of view; rain rates are
mm/h; distances are metres in the HK1980 Grid (EPSG:2326).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from hexops.democity import scenarios
from hexops.analytics.fov import to_metric
from hexops.city import HONG_KONG

#: Relative footfall by local hour 0..23 on a working day (commute peaks,
#: lunch, the evening shopping peak) and on a Sunday or public holiday
#: (late start, long afternoon and evening).  Saturday is their average.
PEOPLE_WEEKDAY = np.array([0.15, 0.08, 0.05, 0.04, 0.04, 0.08, 0.20, 0.45, 0.80, 0.70, 0.60, 0.65,
                           0.85, 0.80, 0.65, 0.65, 0.70, 0.85, 1.00, 0.95, 0.80, 0.65, 0.45, 0.28])
PEOPLE_HOLIDAY = np.array([0.25, 0.15, 0.08, 0.05, 0.04, 0.05, 0.10, 0.20, 0.35, 0.50, 0.65, 0.80,
                           0.90, 0.95, 1.00, 1.00, 0.95, 0.95, 1.00, 0.95, 0.85, 0.70, 0.50, 0.35])
VEHICLES_WEEKDAY = np.array([0.20, 0.12, 0.08, 0.07, 0.10, 0.20, 0.50, 0.90, 1.00, 0.85, 0.75, 0.75,
                             0.75, 0.75, 0.75, 0.80, 0.90, 1.00, 0.95, 0.75, 0.60, 0.50, 0.40, 0.30])
VEHICLES_HOLIDAY = np.array([0.25, 0.15, 0.10, 0.08, 0.08, 0.12, 0.25, 0.40, 0.55, 0.65, 0.70, 0.75,
                             0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0.70, 0.60, 0.50, 0.40, 0.30])

#: Peak-hour density (people/m2) by camera kind, before the per-camera spread.
DENSITY_BY_KIND = {"street": 0.05, "promenade": 0.04, "estate": 0.03, "tunnel_portal": 0.002,
                   "venue": 0.04, "boundary_control": 0.12}
#: Peak-hour vehicles in view by camera kind.
VEHICLES_BY_KIND = {"street": 6.0, "promenade": 0.1, "estate": 0.8, "tunnel_portal": 40.0,
                    "venue": 1.5, "boundary_control": 2.5}
#: Kinds whose scenes are outdoors (people shelter from rain).
OUTDOOR_KINDS = ("street", "promenade", "estate", "venue")

#: Spill-over of the fireworks crowd into streets near a zone: share of the
#: zone's peak density at its edge, decaying with distance (e-folding metres),
#: ignored beyond SPILL_MAX_M.
SPILL_SHARE, SPILL_DECAY_M, SPILL_MAX_M = 0.25, 150.0, 400.0

#: Rain rate (mm/h) within the last WET_MEMORY_S seconds that leaves a road wet.
WET_RAIN_MM_PER_H, WET_MEMORY_S = 2.5, 3600


def _local(times: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return times.tz_convert(HONG_KONG.time_zone)


def _interp_hourly(profile: np.ndarray, hours: np.ndarray) -> np.ndarray:
    cyclic = np.append(profile, profile[0])
    return np.interp(hours, np.arange(25), cyclic)


def day_profiles(times: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Relative people and vehicle levels at each time (1.0 = a busy peak hour)."""
    local = _local(times)
    hours = local.hour + local.minute / 60.0 + local.second / 3600.0
    hours = np.asarray(hours, dtype=float)
    dates = local.strftime("%Y-%m-%d")
    holiday = np.asarray((local.dayofweek == 6) | np.isin(dates, scenarios.HOLIDAYS_HKT))
    saturday = np.asarray(local.dayofweek == 5) & ~holiday
    w_holiday = holiday + 0.5 * saturday
    people = (1 - w_holiday) * _interp_hourly(PEOPLE_WEEKDAY, hours) + w_holiday * _interp_hourly(PEOPLE_HOLIDAY, hours)
    vehicles = ((1 - w_holiday) * _interp_hourly(VEHICLES_WEEKDAY, hours)
                + w_holiday * _interp_hourly(VEHICLES_HOLIDAY, hours))
    return people, vehicles


def camera_baselines(cams: pd.DataFrame, seed: int) -> dict[str, np.ndarray]:
    """Per-camera levels: peak density, crowd jitter, outdoor flag, peak vehicles."""
    rng = np.random.default_rng([seed, 1])
    n = len(cams)
    kind = cams["kind"].to_numpy()
    footfall = cams["footfall"].to_numpy(dtype=float)
    # Busier anchors have busier cameras, less than proportionally.
    scale = np.sqrt(footfall / 3.0)
    density = np.array([DENSITY_BY_KIND[k] for k in kind]) * scale * rng.lognormal(0.0, 0.35, n)
    vehicles = np.array([VEHICLES_BY_KIND[k] for k in kind]) * np.sqrt(scale) * rng.lognormal(0.0, 0.3, n)
    return {
        "density": density,
        "jitter": rng.lognormal(0.0, 0.15, n),
        "outdoor": np.isin(kind, OUTDOOR_KINDS).astype(float),
        "vehicles": vehicles,
    }


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _smootherstep(x: np.ndarray) -> np.ndarray:
    """Perlin's smootherstep: flat at both ends, steeper in the middle than :func:`_smoothstep`."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * x * (x * (6 * x - 15) + 10)


def _frac(times: pd.DatetimeIndex, a, b) -> np.ndarray:
    return np.asarray((times - pd.Timestamp(a)) / (pd.Timestamp(b) - pd.Timestamp(a)), dtype=float)


def crowd_curve(times: pd.DatetimeIndex) -> np.ndarray:
    """Share (0..1) of each zone's peak fireworks density present at each time."""
    fw = scenarios.FIREWORKS
    out = np.zeros(len(times))
    build = (times >= fw.build_start) & (times < fw.peak_start)
    # Most people arrive in the middle of the build-up, not evenly over it.
    out[build] = 0.85 * _smootherstep(_frac(times[build], fw.build_start, fw.peak_start))
    gather = (times >= fw.peak_start) & (times < fw.show_start)
    out[gather] = 0.85 + 0.15 * _frac(times[gather], fw.peak_start, fw.show_start)
    out[(times >= fw.show_start) & (times < fw.show_end)] = 1.0
    hold = (times >= fw.show_end) & (times < fw.peak_end)
    out[hold] = 1.0 - 0.05 * _frac(times[hold], fw.show_end, fw.peak_end)
    leave = (times >= fw.peak_end) & (times < fw.dispersed_by)
    out[leave] = 0.95 * (1.0 - _smoothstep(_frac(times[leave], fw.peak_end, fw.dispersed_by)))
    return out


def fireworks_exposure(cams, zones) -> tuple[np.ndarray, np.ndarray]:
    """Peak density of the zone each camera stands in (0 outside), and the spill-over near zones."""
    x, y = to_metric(cams.geometry.x.to_numpy(), cams.geometry.y.to_numpy())
    zones_m = zones.to_crs(HONG_KONG.metric_crs)
    zone_peak = np.zeros(len(cams))
    spill = np.zeros(len(cams))
    outside_kinds = ~np.isin(cams["kind"].to_numpy(), ("tunnel_portal", "estate"))
    for geom, peak in zip(zones_m.geometry, zones_m["peak_density_p_m2"]):
        inside = shapely.contains_xy(geom, x, y)
        zone_peak[inside] = np.maximum(zone_peak[inside], peak)
        near = ~inside & outside_kinds
        d = shapely.distance(geom, shapely.points(x[near], y[near]))
        share = np.where(d < SPILL_MAX_M, SPILL_SHARE * peak * np.exp(-d / SPILL_DECAY_M), 0.0)
        spill[near] = np.maximum(spill[near], share)
    spill[zone_peak > 0] = 0.0
    return zone_peak, spill


def rain_shape(times: pd.DatetimeIndex) -> np.ndarray:
    """Share (0..1) of each district's peak rain rate falling at each time.

    Ramps to 0.6 by the start of the black-rain hour, holds 1.0 through it,
    then falls from 0.6 to nothing by the storm's end, so that only the
    black-rain hour exceeds 70 mm/h in the wettest districts.
    """
    rs = scenarios.RAINSTORM
    out = np.zeros(len(times))
    rise = (times >= rs.start) & (times < rs.black_start)
    out[rise] = 0.05 + 0.55 * _smoothstep(_frac(times[rise], rs.start, rs.black_start))
    black = (times >= rs.black_start) & (times < rs.black_end)
    phase = _frac(times[black], rs.black_start, rs.black_end)
    out[black] = 0.95 + 0.05 * np.sin(np.pi * phase)
    fall = (times >= rs.black_end) & (times < rs.end)
    out[fall] = 0.6 * (1.0 - _smoothstep(_frac(times[fall], rs.black_end, rs.end)))
    return out


def gauge_peaks(city) -> np.ndarray:
    """Each gauge's peak rain rate (mm/h): its district's peak, give or take 8 %."""
    rng = np.random.default_rng([city.seed, 2])
    jitter = rng.uniform(0.92, 1.08, len(city.rain_gauges))
    district_peak = city.rain_gauges["district_code"].map(scenarios.RAINSTORM.peak_mm_per_h).fillna(0.0)
    return district_peak.to_numpy(dtype=float) * jitter


def nearest_gauge(cams, gauges) -> np.ndarray:
    """Index (into ``gauges``) of each camera's nearest rain gauge."""
    cx, cy = to_metric(cams.geometry.x.to_numpy(), cams.geometry.y.to_numpy())
    gx, gy = to_metric(gauges.geometry.x.to_numpy(), gauges.geometry.y.to_numpy())
    d2 = (cx[:, None] - gx[None, :]) ** 2 + (cy[:, None] - gy[None, :]) ** 2
    return np.argmin(d2, axis=1)


def rain_at_cameras(city, cams, times: pd.DatetimeIndex, step_s: int) -> tuple[np.ndarray, np.ndarray]:
    """Rain rate now and its maximum over the last hour (mm/h), shape (times, cameras)."""
    peak = gauge_peaks(city)[nearest_gauge(cams, city.rain_gauges)]
    now = rain_shape(times)
    recent = now.copy()
    for k in range(1, max(1, WET_MEMORY_S // step_s) + 1):
        recent = np.maximum(recent, rain_shape(times - pd.Timedelta(seconds=k * step_s)))
    return now[:, None] * peak[None, :], recent[:, None] * peak[None, :]


def flooding_onsets(camera_ids: np.ndarray) -> dict[int, tuple[pd.Timestamp, pd.Timestamp]]:
    """For cameras at flooding places: (first, last) time each reports ``flooded``.

    The n-th camera at a place sees the water 5 (n-1) minutes after the first
    and loses it 5 (n-1) minutes before, so at least two agree from ten
    minutes after :attr:`Rainstorm.flood_start` to ten before ``flood_end``.
    """
    rs = scenarios.RAINSTORM
    out: dict[int, tuple[pd.Timestamp, pd.Timestamp]] = {}
    places = {p.place_id: p for p in scenarios.LOW_LYING}
    for idx, cam in enumerate(camera_ids):
        parts = str(cam).split("-")
        if len(parts) == 3 and parts[1] in rs.flooding_places and parts[1] in places and parts[2].isdigit():
            lag = pd.Timedelta(minutes=5 * (int(parts[2]) - 1))
            out[idx] = (pd.Timestamp(rs.flood_start) + lag, pd.Timestamp(rs.flood_end) - lag)
    return out


def water_states(camera_ids: np.ndarray, times: pd.DatetimeIndex, rain_recent: np.ndarray,
                 uniform: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Road surface state and the detector's confidence, shape (times, cameras).

    Parameters
    ----------
    camera_ids : array of str
    times : DatetimeIndex
        Window midpoints (UTC).
    rain_recent : ndarray
        Highest rain rate over the last hour at each camera, mm/h.
    uniform : ndarray
        Uniform(0, 1) draws, one per window and camera, for the confidence.
    """
    state = np.where(rain_recent >= WET_RAIN_MM_PER_H, "wet", "dry").astype(object)
    wet_conf = 0.55 + 0.4 * np.clip(rain_recent / 30.0, 0.0, 1.0)
    confidence = np.where(state == "wet", wet_conf - 0.1 * uniform, 0.85 + 0.13 * uniform)
    for idx, (first, last) in flooding_onsets(camera_ids).items():
        flooded = np.asarray((times >= first) & (times < last))
        state[flooded, idx] = "flooded"
        confidence[flooded, idx] = 0.75 + 0.2 * uniform[flooded, idx]
    rs = scenarios.RAINSTORM
    lone = np.flatnonzero(camera_ids == rs.lone_wet_camera)
    if lone.size:
        # A leaking hydrant, a sprinkler: wet for one camera only, while the
        # drizzle around it leaves every other road dry.
        wet = np.asarray((times >= pd.Timestamp(rs.start) + pd.Timedelta(minutes=20))
                         & (times < pd.Timestamp(rs.end) + pd.Timedelta(minutes=30)))
        state[wet, lone[0]] = "wet"
        confidence[wet, lone[0]] = 0.7 + 0.2 * uniform[wet, lone[0]]
    return state, confidence


def zone_crowded_window(zone_id: str, density_p_m2: float | None = None) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """When a fireworks zone's mean density is above ``density_p_m2`` (UTC, to the minute).

    Parameters
    ----------
    zone_id : str
    density_p_m2 : float, optional
        People per square metre; default the scenario's alert density.

    Returns
    -------
    (first, last) minute at or above the density, or None if the zone never gets there.
    """
    fw = scenarios.FIREWORKS
    threshold = fw.alert_density_p_m2 if density_p_m2 is None else density_p_m2
    peak = {z.zone_id: z.peak_density_p_m2 for z in fw.zones}[zone_id]
    minutes = pd.date_range(fw.build_start, fw.dispersed_by, freq="1min")
    above = minutes[crowd_curve(minutes) * peak >= threshold]
    return (above[0], above[-1]) if len(above) else None
