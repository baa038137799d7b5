"""The naive ingest path, kept only as the benchmark's point of comparison.

One statement per event, straight into ``detections_camera_minute``: what a
first implementation would do.  It skips the hex rollups and idempotency
that the real path pays for, so the comparison flatters it.
"""

from __future__ import annotations

import datetime as dt

import psycopg


def upsert_event(conn: psycopg.Connection, camera_id: str, minute: dt.datetime, seconds: float,
                 people: int, vehicles: int, wet: bool, flooded: bool, confidence: float,
                 saturated: bool) -> None:
    """Add one event (wholly inside ``minute``) to its camera-minute row."""
    conn.execute(
        "INSERT INTO detections_camera_minute AS t (camera_id, minute, n_events, covered_s, people_s, "
        "people_max, vehicles_s, vehicles_max, wet_s, flooded_s, water_conf_max, saturated_n) "
        "VALUES (%s, %s, 1, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (camera_id, minute) DO UPDATE SET n_events = t.n_events + 1, "
        "covered_s = t.covered_s + excluded.covered_s, people_s = t.people_s + excluded.people_s, "
        "people_max = greatest(t.people_max, excluded.people_max), "
        "vehicles_s = t.vehicles_s + excluded.vehicles_s, "
        "vehicles_max = greatest(t.vehicles_max, excluded.vehicles_max), wet_s = t.wet_s + excluded.wet_s, "
        "flooded_s = t.flooded_s + excluded.flooded_s, "
        "water_conf_max = greatest(t.water_conf_max, excluded.water_conf_max), "
        "saturated_n = t.saturated_n + excluded.saturated_n",
        (camera_id, minute, seconds, people * seconds, people, vehicles * seconds, vehicles,
         seconds if wet else 0.0, seconds if flooded else 0.0, confidence, int(saturated)),
    )
