"""Counts read at scrape time for ``/metrics`` and the System page.

Every function runs in the caller's transaction and returns plain numbers
or rows; windows are bounded by an index (``raised_at``, ``at``,
``created_at``, time partitions) so a scrape stays cheap as tables grow.
Times are ``timestamptz`` (UTC).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg


def ping(conn: psycopg.Connection) -> bool:
    """The database answers a query."""
    return conn.execute("SELECT 1").fetchone()[0] == 1


def ingest_window(conn: psycopg.Connection, end: datetime, window: timedelta) -> dict[str, Any]:
    """Camera-minutes with detections in ``[end - window, end)``, the cameras among them, and the end
    of the latest minute with detections.

    The counts are of committed camera-minute rows; the end is read from
    ``detections_extent``, as the pages read it, so it includes the minutes
    ingest workers still hold (their live previews).
    """
    row = conn.execute(
        "SELECT count(*), count(DISTINCT camera_id) FROM detections_camera_minute "
        "WHERE minute >= %s AND minute < %s",
        (end - window, end),
    ).fetchone()
    extent = conn.execute("SELECT last_minute + interval '1 minute' FROM detections_extent").fetchone()
    latest = extent[0] if extent else None
    return {"camera_minutes": int(row[0]), "cameras": int(row[1]), "data_end": latest}


def quarantine_counts(conn: psycopg.Connection, since: datetime) -> dict[str, int]:
    """Quarantined events received since ``since`` (wall time), and in all retained partitions."""
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE received_at >= %s), count(*) FROM ingest_quarantine", (since,),
    ).fetchone()
    return {"recent": int(row[0]), "retained": int(row[1])}


def crowd_alert_states(conn: psycopg.Connection, since: datetime, at: datetime) -> dict[str, int]:
    """Crowd alerts raised in ``[since, at]`` by state at ``at``: open, acknowledged (not cleared), cleared."""
    rows = conn.execute(
        """
        SELECT CASE WHEN cleared_at IS NOT NULL AND cleared_at <= %(at)s THEN 'cleared'
                    WHEN acknowledged_at IS NOT NULL THEN 'acknowledged' ELSE 'open' END, count(*)
        FROM crowd_alerts WHERE raised_at >= %(since)s AND raised_at <= %(at)s GROUP BY 1
        """,
        {"since": since, "at": at},
    ).fetchall()
    return {"open": 0, "acknowledged": 0, "cleared": 0} | {state: int(n) for state, n in rows}


def flood_alert_states(conn: psycopg.Connection, since: datetime, at: datetime,
                       alert_states: tuple[str, ...]) -> dict[str, int]:
    """Flood alerts (transitions into ``alert_states``) in ``[since, at]``: acknowledged or open."""
    row = conn.execute(
        "SELECT count(a.transition_id), count(*) - count(a.transition_id) FROM flood_transitions t "
        "LEFT JOIN flood_alert_acks a USING (transition_id) "
        "WHERE t.at >= %s AND t.at <= %s AND t.to_state = ANY(%s)",
        (since, at, list(alert_states)),
    ).fetchone()
    return {"acknowledged": int(row[0]), "open": int(row[1])}


def flood_hex_states(conn: psycopg.Connection) -> dict[str, int]:
    """Watched hexes by their current flood state (hexes never out of normal are not stored)."""
    return {state: int(n) for state, n in conn.execute(
        "SELECT state, count(*) FROM flood_hex_states GROUP BY 1").fetchall()}


def webhook_outcomes(conn: psycopg.Connection, since: datetime) -> dict[str, int]:
    """Webhook deliveries created since ``since`` (wall time) by status, and attempts made."""
    rows = conn.execute(
        "SELECT status, count(*), coalesce(sum(attempts), 0) FROM webhook_deliveries WHERE created_at >= %s "
        "GROUP BY 1", (since,),
    ).fetchall()
    out = {"pending": 0, "delivered": 0, "failed": 0, "attempts": 0}
    for status, n, attempts in rows:
        out[status] = int(n)
        out["attempts"] += int(attempts)
    return out
