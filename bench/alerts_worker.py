"""The alert worker at 60,000 cameras: crowd and flood steps exactly as the background jobs take them.

``bench.alerts`` calls :func:`time_worker_steps` (skip it with ``--no-worker``).
A throwaway PostGIS cluster gets the synthetic city's cameras (with fields
of view, EPSG:4326), its event zones and nine 5-minute windows of detection
events through the ingestion core; the crowd calibration runs once (timed
apart: in production it runs when a camera or zone changes).  Then, with
the machines' cursors at the fourth window, job runs are timed exactly as
the workers make them (:mod:`hexops.services.stepping`: lock, version check,
step, cursor, commit), one step per run as when the worker keeps up with one
new window per run:

- ``*_cold_run_s``: a run with a machine that must be loaded from the
  database first (a worker's first run, or after another worker stepped it):
  the peer approach, what every run cost before machines were kept.
- ``*_warm_run_s``: a run with the machine the worker kept loaded (median of
  the following windows).

The target is one step within 5 s: a warm run is what a worker that keeps up
pays per window.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import shapely
from pyproj import Transformer

from bench.alerts_db import _camera_rows
from hexops.analytics.crowd import DEFAULT_THRESHOLDS, AlertConfig
from hexops.geodata import migrate, reference
from hexops.geodata.cluster import PrivateCluster
from hexops.geodata.uow import UnitOfWork
from hexops.ingest.core import ingest_events
from hexops.services import crowd, stepping
from hexops.services.crowd_alerts import CrowdMachine
from hexops.services.flood import FloodMachine

#: The machines' cursor; detections cover the 3 windows before it (trend history) and 6 after.
CURSOR = datetime(2026, 10, 1, 13, 0, tzinfo=timezone.utc)
WINDOW = timedelta(minutes=5)
BEFORE, AFTER = 3, 6
TARGET_STEP_S = 5.0
_TO_WGS84 = Transformer.from_crs("EPSG:2326", "EPSG:4326", always_xy=True)


def _zones(city: dict) -> pd.DataFrame:
    zones = city["zones"]
    wgs = shapely.transform(zones, lambda xy: np.column_stack(_TO_WGS84.transform(xy[:, 0], xy[:, 1])))
    areas = shapely.area(zones)
    return pd.DataFrame({"zone_id": [f"zone{i}" for i in range(len(zones))], "name": [f"Zone {i}" for i in range(len(zones))],
                         "event_name": "bench", "capacity": np.maximum(1, (areas * 2).astype(int)),
                         "geometry": list(wgs), "area_m2": areas})


def _window_events(city: dict, fov_m2: np.ndarray, end: datetime, rng: np.random.Generator) -> pd.DataFrame:
    """One event per camera for the window ending at ``end``: crowds denser near the zones, some water."""
    n = len(city["camera_ids"])
    # Most of a city is not crowded: a few per cent of the cameras see more than 2 people/m2.
    density = rng.gamma(1.2, 0.3, n) * (1.0 + 0.1 * ((end - CURSOR) / WINDOW))
    water = rng.choice(np.array(["dry", "wet", "flooded"]), n, p=[0.85, 0.12, 0.03])
    stamp = int(end.timestamp())
    return pd.DataFrame({
        "event_id": [f"w-{c}-{stamp}" for c in city["camera_ids"]], "camera_id": city["camera_ids"],
        "window_start": (end - WINDOW).isoformat(), "window_end": end.isoformat(),
        "people": np.round(density * fov_m2).astype(int), "vehicles": 0, "water_state": water,
        "water_confidence": np.round(rng.uniform(0.5, 1.0, n), 3), "saturated": density > 4.0,
        "model_name": "bench", "model_version": "1",
    })


def _runs(machine, uow_factory) -> tuple[float, list[float]]:
    """Seconds of the cold run (load, one step) and of each following warm run (one step each)."""
    times = []
    for k in range(1, AFTER + 1):
        started = time.perf_counter()
        report = stepping.advance(uow_factory(), machine, CURSOR + k * WINDOW, max_steps=1)
        times.append(time.perf_counter() - started)
        assert report.steps == 1 and report.loaded == (k == 1)
    return times[0], times[1:]


def time_worker_steps(city: dict, fov_m2: np.ndarray, seed: int = 11) -> dict:
    """Seconds per crowd and flood step of the jobs at this city's size (see the module docstring)."""
    rng = np.random.default_rng(seed)
    cluster = PrivateCluster(Path(tempfile.mkdtemp(prefix="hexops-bench-worker-")) / "pg", throwaway=True)
    url = cluster.start()
    try:
        migrate.apply_all(url)

        def uow() -> UnitOfWork:
            return UnitOfWork.for_url(url)

        with psycopg.connect(url) as conn:
            reference.upsert_cameras(conn, _camera_rows(city, fov_m2))
            conn.commit()
        with uow() as u:
            u.crowd.upsert_zones(_zones(city))
            u.commit()
        loaded = time.perf_counter()
        with psycopg.connect(url) as conn:
            for k in range(-BEFORE + 1, AFTER + 1):
                end = CURSOR + k * WINDOW
                ingest_events(conn, _window_events(city, fov_m2, end, rng), source="bench.worker",
                              now=end + timedelta(seconds=30))
                conn.commit()
            conn.execute("ANALYZE")
            conn.commit()
        ingest_s = time.perf_counter() - loaded
        started = time.perf_counter()
        calibrated = crowd.calibrate(uow())
        calibrate_s = time.perf_counter() - started
        with psycopg.connect(url) as conn:
            for machine in ("crowd", "flood"):
                conn.execute("INSERT INTO alert_cursors (job, as_of) VALUES (%s, %s)", (machine, CURSOR))
            conn.commit()

        crowd_cold, crowd_warm = _runs(CrowdMachine(DEFAULT_THRESHOLDS, AlertConfig()), uow)
        flood_cold, flood_warm = _runs(FloodMachine(), uow)
        with psycopg.connect(url) as conn:
            raised = conn.execute("SELECT count(*) FROM crowd_alerts").fetchone()[0]
            transitions = conn.execute("SELECT count(*) FROM flood_transitions").fetchone()[0]
    finally:
        cluster.destroy()
    crowd_step, flood_step = statistics.median(crowd_warm), statistics.median(flood_warm)
    return {
        "worker_cameras": len(city["camera_ids"]),
        "worker_crowd_hexes_r10": calibrated["hexes"], "worker_zones": calibrated["zones"],
        "worker_ingest_9_windows_s": round(ingest_s, 2), "worker_calibrate_once_s": round(calibrate_s, 2),
        "worker_crowd_cold_run_s": round(crowd_cold, 3), "worker_crowd_warm_run_s": round(crowd_step, 3),
        "worker_crowd_warm_runs_s": [round(s, 3) for s in crowd_warm],
        "worker_flood_cold_run_s": round(flood_cold, 3), "worker_flood_warm_run_s": round(flood_step, 3),
        "worker_flood_warm_runs_s": [round(s, 3) for s in flood_warm],
        "worker_warm_vs_cold": round((crowd_cold + flood_cold) / (crowd_step + flood_step), 1),
        "worker_alerts_raised": int(raised), "worker_flood_transitions": int(transitions),
        "worker_target_step_s": TARGET_STEP_S,
        "worker_meets_target": max(max(crowd_warm), max(flood_warm)) <= TARGET_STEP_S,
        "worker_timed": ("*_cold_run_s: a job run loading its machine from PostGIS, then one step; "
                         "*_warm_run_s: median job run of a kept machine (version check, step, cursor, commit)"),
    }
