"""The demo detection stream and rain-gauge series, simulated from the demo city.

``simulate_detections`` produces events in the flat ``hexops.detections/1``
schema (one row per camera per window) with a daily and weekly rhythm, the
National Day fireworks crowd along Victoria Harbour, and the rainstorm's
water states; ``simulate_rainfall`` produces the gauges' mm/h series that
drive the water states.  Scenario times and places are in
:mod:`geodata.democity.scenarios`; the rhythms in
:mod:`geodata.democity.rhythm`.

Results depend only on the city, the seed and each window's start time, so a
long window simulated in chunks equals the same window simulated at once.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from hexops.democity import rhythm

MODEL_NAME = "demo-simulator"
MODEL_VERSION = "2026.10"


def window_starts(start: datetime, end: datetime, step_s: int) -> pd.DatetimeIndex:
    """Starts (UTC) of the ``step_s`` windows covering ``[start, end)``, aligned to the epoch."""
    t0 = pd.Timestamp(start).tz_convert("UTC").floor(f"{step_s}s")
    t1 = pd.Timestamp(end).tz_convert("UTC")
    starts = pd.date_range(t0, t1, freq=f"{step_s}s")
    return starts[starts < t1]


def simulate_rainfall(city, start: datetime, end: datetime, step_s: int = 300) -> pd.DataFrame:
    """Rain-gauge readings over ``[start, end)``.

    Parameters
    ----------
    city : geodata.democity.DemoCity
    start, end : datetime
        Timezone-aware bounds.
    step_s : int
        Seconds between readings.

    Returns
    -------
    pandas.DataFrame
        ``station_id``, ``observed_at`` (UTC, end of the step), ``mm_per_h``
        (mean rain rate over the step), one row per gauge and step.
    """
    starts = window_starts(start, end, step_s)
    peak = rhythm.gauge_peaks(city)
    rate = rhythm.rain_shape(starts + pd.Timedelta(seconds=step_s / 2))[:, None] * peak[None, :]
    return pd.DataFrame({
        "station_id": np.tile(city.rain_gauges["station_id"].to_numpy(), len(starts)),
        "observed_at": np.repeat(starts + pd.Timedelta(seconds=step_s), len(peak)),
        "mm_per_h": np.round(rate.ravel(), 1),
    })


def simulate_detections(
    city,
    start: datetime,
    end: datetime,
    *,
    window_s: int = 300,
    seed: int = 7,
) -> pd.DataFrame:
    """Detection events of every active camera over ``[start, end)``.

    Parameters
    ----------
    city : geodata.democity.DemoCity
    start, end : datetime
        Timezone-aware bounds; windows are aligned to multiples of ``window_s``.
    window_s : int
        Seconds per event window (at most 600, per the event schema).
    seed : int
        The same city, seed and window give identical events.

    Returns
    -------
    pandas.DataFrame
        The flat event schema: ``event_id``, ``camera_id``, ``window_start``,
        ``window_end`` (UTC), ``people``, ``vehicles`` (mean visible),
        ``water_state``, ``water_confidence``, ``saturated`` (the true crowd
        exceeded what the detector can separate: ``people`` is a lower
        bound), ``model_name``, ``model_version``; by window, then camera.
    """
    if not 0 < window_s <= 600:
        raise ValueError(f"window_s must be in (0, 600], got {window_s}")
    cams = city.cameras[city.cameras["status"] == "active"].reset_index(drop=True)
    starts = window_starts(start, end, window_s)
    n_w, n_c = len(starts), len(cams)
    mid = starts + pd.Timedelta(seconds=window_s / 2)
    base = rhythm.camera_baselines(cams, seed)
    people_level, vehicle_level = rhythm.day_profiles(mid)

    density = people_level[:, None] * base["density"][None, :]
    zone_peak, spill = rhythm.fireworks_exposure(cams, city.event_zones)
    crowd = rhythm.crowd_curve(mid)[:, None]
    in_zone = zone_peak > 0
    density[:, in_zone] = np.maximum(density[:, in_zone],
                                     crowd * (zone_peak * base["jitter"])[None, in_zone])
    density += crowd * spill[None, :]
    rain_now, rain_recent = rhythm.rain_at_cameras(city, cams, mid, window_s)
    # People shelter from heavy rain: outdoor counts fall by up to a half.
    density *= 1.0 - 0.5 * np.clip(rain_now / 50.0, 0.0, 1.0) * base["outdoor"][None, :]

    true_people = density * cams["fov_area_m2"].to_numpy()[None, :]
    vehicle_mean = vehicle_level[:, None] * base["vehicles"][None, :]
    people = np.empty((n_w, n_c), dtype=np.int64)
    vehicles = np.empty((n_w, n_c), dtype=np.int64)
    uniform = np.empty((n_w, n_c))
    for i, t in enumerate(starts):
        # One generator per window: chunked and whole-window runs agree.
        rng = np.random.default_rng([seed, int(t.value // 1_000_000_000)])
        people[i] = rng.poisson(true_people[i])
        vehicles[i] = rng.poisson(vehicle_mean[i])
        uniform[i] = rng.random(n_c)
    limit = cams["max_countable"].to_numpy()[None, :]
    saturated = people > limit
    people = np.minimum(people, limit)
    cam_ids = cams["camera_id"].to_numpy().astype(str)
    state, confidence = rhythm.water_states(cam_ids, mid, rain_recent, uniform)

    epoch = (starts.asi8 // 1_000_000_000).astype(str)
    ids = np.tile(cam_ids, n_w)
    event_id = np.char.add(np.char.add(np.char.add("sim-", ids), "-"), np.repeat(epoch, n_c))
    return pd.DataFrame({
        "event_id": event_id.astype(object),
        "camera_id": ids.astype(object),
        "window_start": np.repeat(starts, n_c),
        "window_end": np.repeat(starts + pd.Timedelta(seconds=window_s), n_c),
        "people": people.ravel(),
        "vehicles": vehicles.ravel(),
        "water_state": state.ravel(),
        "water_confidence": np.round(confidence.ravel(), 3),
        "saturated": saturated.ravel(),
        "model_name": MODEL_NAME,
        "model_version": MODEL_VERSION,
    })
