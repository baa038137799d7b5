"""The database side of bench.alerts: reading 60,000 cameras' latest detections from PostGIS.

A throwaway PostGIS cluster gets the synthetic cameras (with their fields of
view, EPSG:4326) and one 5-minute detection event per camera through the
ingestion core; then the query every refresh makes,
:func:`geodata.crowd.latest_camera_counts`, is timed.  The cluster is
deleted afterwards.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
import psycopg
import shapely
from pyproj import Transformer

from hexops.geodata import migrate, reference
from hexops.geodata.cluster import PrivateCluster
from hexops.geodata.crowd import latest_camera_counts
from hexops.ingest.core import ingest_events

_TO_WGS84 = Transformer.from_crs("EPSG:2326", "EPSG:4326", always_xy=True)
#: The refresh time of the benchmark's detections (any fixed past minute will do).
AT = datetime(2026, 10, 1, 13, 0, tzinfo=timezone.utc)
WINDOW = timedelta(minutes=5)


def _camera_rows(city: dict, fov_m2: np.ndarray) -> pd.DataFrame:
    fovs = shapely.transform(city["fovs"], lambda xy: np.column_stack(_TO_WGS84.transform(xy[:, 0], xy[:, 1])))
    lng, lat = _TO_WGS84.transform(city["xy"][:, 0], city["xy"][:, 1])
    ewkb = lambda g: shapely.to_wkb(shapely.set_srid(g, 4326), hex=True, include_srid=True)  # noqa: E731
    return pd.DataFrame({
        "camera_id": city["camera_ids"], "owner_code": "HKPF", "kind": "street", "status": "active",
        "location": ewkb(shapely.points(lng, lat)), "fov": ewkb(fovs), "fov_area_m2": fov_m2,
        "h3_r8": [h3i.cell_to_parent(int(c), 8) for c in city["cell10"]],
        "h3_r9": city["cell9"], "h3_r10": city["cell10"],
    })


def _events(latest: pd.DataFrame) -> pd.DataFrame:
    water = np.where(latest["flooded_s"] > 0, "flooded", np.where(latest["wet_s"] > 0, "wet", "dry"))
    return pd.DataFrame({
        "event_id": [f"bench-{c}" for c in latest.index], "camera_id": latest.index.to_numpy(),
        "window_start": (AT - WINDOW).isoformat(), "window_end": AT.isoformat(),
        "people": np.round(latest["people"].to_numpy()).astype(int), "vehicles": 0,
        "water_state": water, "water_confidence": latest["water_conf_max"].round(3).to_numpy(),
        "saturated": latest["saturated"].to_numpy(), "model_name": "bench", "model_version": "1",
    })


def time_latest_read(city: dict, fov_m2: np.ndarray, latest: pd.DataFrame, repeats: int = 3) -> dict:
    """Seconds to read every camera's latest 5 minutes (median of ``repeats``) and rows read."""
    cluster = PrivateCluster(Path(tempfile.mkdtemp(prefix="hexops-bench-alerts-")) / "pg", throwaway=True)
    url = cluster.start()
    try:
        migrate.apply_all(url)
        with psycopg.connect(url) as conn:
            reference.upsert_cameras(conn, _camera_rows(city, fov_m2))
            conn.commit()
            ingest_events(conn, _events(latest), source="bench.alerts", now=AT + timedelta(minutes=1))
            conn.commit()
            conn.execute("ANALYZE detections_camera_minute")
            conn.commit()
            times, rows = [], 0
            for _ in range(repeats):
                start = time.perf_counter()
                rows = len(latest_camera_counts(conn, AT, WINDOW))
                times.append(time.perf_counter() - start)
    finally:
        cluster.destroy()
    return {"db_read_latest_s": round(statistics.median(times), 4), "db_read_runs_s": [round(t, 4) for t in times],
            "db_cameras_read": rows}
