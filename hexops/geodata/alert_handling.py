"""SQL of alert handling: the places that name alerts, flood alerts with their acknowledgements,
and acknowledgements (with a note) of crowd and flood alerts.

Every function runs in the caller's transaction.  Points are WGS84
(EPSG:4326); "nearest" is found with the GiST indexes on districts and
cameras and measured in metres on the spheroid.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import psycopg


def places_near(conn: psycopg.Connection, keys: list[str], lats: list[float], lons: list[float]) -> pd.DataFrame:
    """For each point: its district and the nearest active camera.

    Returns ``key``, ``district_code``, ``district`` (English name), ``camera_id``,
    ``camera_lat``, ``camera_lon`` and ``camera_m`` (metres from the point), one row per key.
    """
    rows = conn.execute(
        """
        SELECT p.key, d.code, d.name_en, c.camera_id, ST_Y(c.location), ST_X(c.location),
               ST_Distance(c.location::geography, p.pt::geography)
        FROM (SELECT key, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS pt
              FROM unnest(%s::text[], %s::float8[], %s::float8[]) AS u(key, lat, lon)) p
        LEFT JOIN LATERAL (SELECT code, name_en FROM districts ORDER BY geom <-> p.pt LIMIT 1) d ON true
        LEFT JOIN LATERAL (SELECT camera_id, location FROM cameras WHERE status = 'active'
                           ORDER BY location <-> p.pt LIMIT 1) c ON true
        """,
        (list(keys), list(lats), list(lons)),
    ).fetchall()
    return pd.DataFrame(rows, columns=["key", "district_code", "district", "camera_id", "camera_lat", "camera_lon",
                                       "camera_m"])


def low_lying_near(conn: psycopg.Connection, keys: list[str], lats: list[float], lons: list[float],
                   within_m: float) -> pd.DataFrame:
    """Low-lying places within ``within_m`` metres of each point: ``key``, ``name``."""
    rows = conn.execute(
        """
        SELECT u.key, l.name FROM unnest(%s::text[], %s::float8[], %s::float8[]) AS u(key, lat, lon)
        JOIN low_lying_places l
          ON ST_DWithin(l.geom::geography, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326)::geography, %s)
        ORDER BY u.key, l.name
        """,
        (list(keys), list(lats), list(lons), within_m),
    ).fetchall()
    return pd.DataFrame(rows, columns=["key", "name"])


def flood_alerts(conn: psycopg.Connection, start: datetime, end: datetime, states: list[str]) -> pd.DataFrame:
    """Transitions into ``states`` in ``[start, end]`` with their acknowledgement, newest first."""
    rows = conn.execute(
        """
        SELECT t.transition_id, t.h3, t.at, t.from_state, t.to_state, t.reason, t.evidence,
               a.acknowledged_at, a.acknowledged_by, a.note
        FROM flood_transitions t LEFT JOIN flood_alert_acks a USING (transition_id)
        WHERE t.at >= %s AND t.at <= %s AND t.to_state = ANY(%s)
        ORDER BY t.at DESC, t.transition_id DESC
        """,
        (start, end, list(states)),
    ).fetchall()
    return pd.DataFrame(rows, columns=["transition_id", "h3", "at", "from_state", "to_state", "reason", "evidence",
                                       "acknowledged_at", "acknowledged_by", "note"])


def acknowledge_crowd(conn: psycopg.Connection, alert_ids: list[int], username: str, at: datetime,
                      note: str | None) -> list[int]:
    """Acknowledge crowd alerts not yet acknowledged; returns the ids acknowledged now."""
    rows = conn.execute(
        "UPDATE crowd_alerts SET acknowledged_at = %s, acknowledged_by = %s, acknowledged_note = %s "
        "WHERE alert_id = ANY(%s) AND acknowledged_at IS NULL RETURNING alert_id",
        (at, username, note, list(alert_ids)),
    ).fetchall()
    return sorted(int(r[0]) for r in rows)


def acknowledge_flood(conn: psycopg.Connection, transition_ids: list[int], username: str, at: datetime,
                      note: str | None, states: list[str]) -> list[int]:
    """Acknowledge flood alerts (transitions into ``states``) not yet acknowledged; returns the ids done now."""
    rows = conn.execute(
        """
        INSERT INTO flood_alert_acks (transition_id, acknowledged_at, acknowledged_by, note)
        SELECT transition_id, %s, %s, %s FROM flood_transitions
        WHERE transition_id = ANY(%s) AND to_state = ANY(%s)
        ON CONFLICT (transition_id) DO NOTHING RETURNING transition_id
        """,
        (at, username, note, list(transition_ids), list(states)),
    ).fetchall()
    return sorted(int(r[0]) for r in rows)


def crowd_alert_notes(conn: psycopg.Connection, alert_ids: list[int]) -> dict[int, str]:
    """The acknowledgement notes of crowd alerts that have one."""
    return {int(a): n for a, n in conn.execute(
        "SELECT alert_id, acknowledged_note FROM crowd_alerts WHERE alert_id = ANY(%s) "
        "AND acknowledged_note IS NOT NULL", (list(alert_ids),)).fetchall()}
