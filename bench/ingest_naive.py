"""The naive ingest paths, kept only as the benchmark's points of comparison.

``ingest_event_row_by_row`` does the real path's job (idempotency key,
camera-minute and hex rollups) one event per INSERT statement, as a
per-request handler would.  ``upsert_event`` is the flattering variant: one
statement per event into ``detections_camera_minute`` only, no hex rollups,
no idempotency.
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


def ingest_event_row_by_row(conn: psycopg.Connection, camera_id: str, minute: dt.datetime,
                            bucket: dt.datetime, event_key: int, seconds: float, people: int, vehicles: int,
                            wet: bool, flooded: bool, confidence: float, saturated: bool) -> None:
    """The same job as the real path, for one event, in one INSERT statement.

    Data-modifying CTEs record the idempotency key and, only when it is new,
    add the event to its camera-minute row and to its three hex cells'
    5-minute rows (cells looked up in ``cameras``).  The event must lie in
    one minute (``minute``) and one 5-minute bucket (``bucket``), both UTC.
    """
    conn.execute(
        "WITH k AS ("
        " INSERT INTO ingest_event_keys AS t (camera_id, minute, keys)"
        " VALUES (%(cam)s, %(minute)s, ARRAY[%(key)s]::bigint[])"
        " ON CONFLICT (camera_id, minute) DO UPDATE SET keys = t.keys || excluded.keys"
        " WHERE NOT (t.keys && excluded.keys) RETURNING 1"
        "), m AS ("
        " INSERT INTO detections_camera_minute AS t (camera_id, minute, n_events, covered_s, people_s,"
        " people_max, vehicles_s, vehicles_max, wet_s, flooded_s, water_conf_max, saturated_n)"
        " SELECT %(cam)s, %(minute)s, 1, %(s)s, %(ps)s, %(p)s, %(vs)s, %(v)s, %(wet)s, %(fl)s, %(conf)s, %(sat)s"
        " FROM k ON CONFLICT (camera_id, minute) DO UPDATE SET n_events = t.n_events + 1,"
        " covered_s = t.covered_s + excluded.covered_s, people_s = t.people_s + excluded.people_s,"
        " people_max = greatest(t.people_max, excluded.people_max),"
        " vehicles_s = t.vehicles_s + excluded.vehicles_s,"
        " vehicles_max = greatest(t.vehicles_max, excluded.vehicles_max), wet_s = t.wet_s + excluded.wet_s,"
        " flooded_s = t.flooded_s + excluded.flooded_s,"
        " water_conf_max = greatest(t.water_conf_max, excluded.water_conf_max),"
        " saturated_n = t.saturated_n + excluded.saturated_n RETURNING 1"
        ")"
        " INSERT INTO detections_hex_5min AS t (h3, resolution, bucket, n_events, covered_s, people_s,"
        " people_max, vehicles_s, vehicles_max, wet_s, flooded_s, water_conf_max, saturated_n)"
        " SELECT cell.h3, cell.res, %(bucket)s, 1, %(s)s, %(ps)s, %(p)s, %(vs)s, %(v)s, %(wet)s, %(fl)s,"
        " %(conf)s, %(sat)s"
        " FROM k, cameras c CROSS JOIN LATERAL unnest(ARRAY[c.h3_r8, c.h3_r9, c.h3_r10], ARRAY[8, 9, 10])"
        " AS cell(h3, res) WHERE c.camera_id = %(cam)s"
        " ON CONFLICT (h3, bucket) DO UPDATE SET n_events = t.n_events + 1,"
        " covered_s = t.covered_s + excluded.covered_s, people_s = t.people_s + excluded.people_s,"
        " people_max = greatest(t.people_max, excluded.people_max),"
        " vehicles_s = t.vehicles_s + excluded.vehicles_s,"
        " vehicles_max = greatest(t.vehicles_max, excluded.vehicles_max), wet_s = t.wet_s + excluded.wet_s,"
        " flooded_s = t.flooded_s + excluded.flooded_s,"
        " water_conf_max = greatest(t.water_conf_max, excluded.water_conf_max),"
        " saturated_n = t.saturated_n + excluded.saturated_n",
        {"cam": camera_id, "minute": minute, "bucket": bucket, "key": event_key, "s": seconds,
         "ps": people * seconds, "p": people, "vs": vehicles * seconds, "v": vehicles,
         "wet": seconds if wet else 0.0, "fl": seconds if flooded else 0.0, "conf": confidence,
         "sat": int(saturated)},
    )
