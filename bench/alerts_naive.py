"""The peer approach for bench.alerts: the same refresh as a per-camera / per-region Python loop.

It follows the rules of analytics.crowd and analytics.flood one camera and
one region at a time (the way a first version is usually written), so the
benchmark can show what vectorising buys and check that both agree.
"""

from __future__ import annotations

import math

import numpy as np

from hexops.analytics.crowd import DEFAULT_THRESHOLDS, FRUIN_WALKWAY_BOUNDS, AlertConfig, BandConfig
from hexops.analytics.flood import FloodConfig


def _los(d: float) -> str:
    for letter, bound in zip("ABCDE", FRUIN_WALKWAY_BOUNDS):
        if d <= bound:
            return letter
    return "F"


def _regions(layout, latest, hist_min, hist, now_s, band: BandConfig, cfg: AlertConfig):
    people = latest["people"].to_dict()
    sat = latest["saturated"].to_dict()
    last = latest["last_unsaturated"].to_dict()
    cams = list(layout.camera_ids)
    position = {c: i for i, c in enumerate(cams)}
    members: dict[int, list[tuple[str, float]]] = {}
    for r, c, s in zip(layout.pair_region.tolist(), layout.pair_camera.tolist(), layout.pair_share_m2.tolist()):
        members.setdefault(r, []).append((cams[c], s))
    densities, opened = [], []
    for r in range(len(layout.regions)):
        covered = seen = seen_high = 0.0
        for cam, share in members.get(r, []):
            if cam not in people:
                continue
            d = people[cam] / layout.fov_m2[position[cam]]
            hi = d
            if sat[cam]:
                if not math.isnan(last[cam]):
                    d = max(d, last[cam])
                hi = max(d, band.saturation_ceiling)
            covered += share
            seen += share * d
            seen_high += share * hi
        density = seen / covered if covered > 0 else float("nan")
        _los(0.0 if math.isnan(density) else density)
        # Trend over the earlier densities and now.
        ts = list(hist_min) + [0.0]
        vs = list(hist[r]) + [density]
        pts = [(t, v) for t, v in zip(ts, vs) if not math.isnan(v)]
        slope = float("nan")
        if len(pts) >= 2:
            tm = sum(t for t, _ in pts) / len(pts)
            vm = sum(v for _, v in pts) / len(pts)
            den = sum((t - tm) ** 2 for t, _ in pts)
            slope = sum((t - tm) * (v - vm) for t, v in pts) / den if den else float("nan")
        row_open = []
        for thr in DEFAULT_THRESHOLDS:
            if math.isnan(density):
                row_open.append(False)
                continue
            eta = 0.0 if density >= thr else ((thr - density) / slope if slope > 0 else math.inf)
            row_open.append(density >= thr or eta <= cfg.horizon_min)
        densities.append(density)
        opened.append(row_open)
    return np.array(densities), np.array(opened, dtype=bool)


def _flood(layout, data, now_s, cfg: FloodConfig) -> np.ndarray:
    latest = data["latest"]
    counts: dict[int, list[int]] = {}
    hex_of = dict(zip(layout["hex"].camera_ids, layout["camera_hex9"].tolist()))
    for cam, row in zip(latest.index, latest.itertuples(index=False)):
        h = hex_of[cam]
        wet = flooded = 0
        if row.water_conf_max >= cfg.min_confidence:
            flooded = row.flooded_s / row.covered_s >= 0.5
            wet = (row.wet_s + row.flooded_s) / row.covered_s >= 0.5
        c = counts.setdefault(h, [0, 0])
        if flooded:
            c[1] += 1
        elif wet:
            c[0] += 1
    rain: dict[int, float] = {}
    for h, g in zip(*(p.tolist() for p in layout["rain_pairs"])):
        rain[h] = max(rain.get(h, 0.0), float(data["gauge_mm_h"][g]))
    states = []
    for h in range(len(layout["hex9"])):
        n_wet, n_fl = counts.get(h, [0, 0])
        r = rain.get(h, 0.0)
        low = bool(layout["low_lying"][h])
        heavy = r > cfg.heavy_rain_mm_h
        if n_fl >= 2 or (n_fl >= 1 and heavy):
            level = 3
        elif n_fl >= 1 or (low and heavy and n_wet >= 1) or (low and r > cfg.red_rain_mm_h):
            level = 2
        elif heavy or (low and r > cfg.low_lying_watch_mm_h):
            level = 1
        else:
            level = 0
        # Every hex starts normal in the benchmark, so the step is an escalation.
        states.append(level)
    return np.array(states, dtype=np.int8)


def naive_refresh(layout: dict, data: dict, now_s: float) -> dict:
    """Hex densities, which hex alerts are open and flood states, one item at a time."""
    hex_density, hex_open = _regions(layout["hex"], data["latest"], data["hist_min"], data["hist_hex"], now_s,
                                     BandConfig(), AlertConfig())
    _regions(layout["zone"], data["latest"], data["hist_min"], data["hist_zone"], now_s, BandConfig(), AlertConfig())
    return {"hex_density": hex_density, "hex_open": hex_open,
            "flood_state": _flood(layout, data, now_s, FloodConfig())}
