"""Storage of the live demo (migration 071): rewinding the demo world, replays, windows, receipts.

Every function runs in the caller's transaction.  Times are ``timestamptz``
(UTC).  :func:`rewind` deletes data: only the live demo calls it, on the
demo's own database (the command refuses any other without an explicit flag).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

#: Tables whose rows at or after the replay's start are removed, with their time column.
_FUTURE_DATA = (
    ("detections_camera_minute", "minute"),
    ("detections_hex_5min", "bucket"),
    ("ingest_event_keys", "minute"),
)


def rewind(conn: psycopg.Connection, cut: datetime, machines_from: datetime,
           machines: tuple[str, ...] = ("crowd", "flood")) -> dict[str, int]:
    """Make the database look as it did at ``cut``, ready for a replay from there.

    Parameters
    ----------
    cut : datetime
        Detections (and their idempotency keys) at or after this time are
        deleted: the replay publishes them again through the stream.
    machines_from : datetime
        The alert machines restart from here: every alert, flood state,
        transition (with its acknowledgement) and crew plan is deleted and
        the machines' cursors are set to this time, so stepping them again
        over the history rebuilds exactly what they would have said.

    Returns
    -------
    dict
        Rows deleted per table.
    """
    from psycopg import sql

    deleted: dict[str, int] = {}
    for table, column in _FUTURE_DATA:
        cur = conn.execute(sql.SQL("DELETE FROM {} WHERE {} >= %s").format(
            sql.Identifier(table), sql.Identifier(column)), (cut,))
        deleted[table] = cur.rowcount
    _rewind_scale_tiers(conn, cut, deleted)
    for table in ("crowd_alerts", "flood_transitions", "flood_hex_states", "crew_plans"):
        deleted[table] = conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table))).rowcount
    conn.execute("DELETE FROM alert_cursors")
    for machine in machines:
        conn.execute("INSERT INTO alert_cursors (job, as_of) VALUES (%s, %s)", (machine, machines_from))
    return deleted


def _rewind_scale_tiers(conn: psycopg.Connection, cut: datetime, deleted: dict[str, int]) -> None:
    """The storage tiers of migration 080 as they were at ``cut`` (part of :func:`rewind`).

    - ``detections_camera_latest``: the live previews of held minutes go
      (a preview at or after the cut would be read as data from the future,
      and a later preview blocks earlier ones from replacing it);
    - ``detections_hex_hour``: the hour holding the cut and every later one
      go, and the roll-up's cursor moves back to that hour, so the hours are
      rolled up again once the replay has brought their detections;
    - ``detections_extent``: its latest minute becomes the latest one kept
      (the alert jobs step no further than it, so they wait for the replay).
    """
    hour = conn.execute("SELECT date_trunc('hour', %s::timestamptz)", (cut,)).fetchone()[0]
    deleted["detections_camera_latest"] = conn.execute(
        "DELETE FROM detections_camera_latest WHERE minute >= %s", (cut,)).rowcount
    deleted["detections_hex_hour"] = conn.execute(
        "DELETE FROM detections_hex_hour WHERE bucket >= %s", (hour,)).rowcount
    conn.execute("UPDATE hexops_rollup_cursors SET done_until = %s WHERE done_until > %s", (hour, hour))
    conn.execute(
        "UPDATE detections_extent SET last_minute = kept.last, "
        "first_minute = CASE WHEN kept.last IS NULL THEN NULL ELSE first_minute END "
        "FROM (SELECT max(minute) AS last FROM detections_camera_minute) AS kept")


def retire_endpoints(conn: psycopg.Connection) -> int:
    """Deactivate the endpoints of earlier replays' receivers and drop their undelivered alerts.

    An earlier receiver is gone: its pending deliveries would only be retried
    against a closed port.  Delivered and failed ones stay in the log.
    Returns the number of endpoints retired.
    """
    ids = [r[0] for r in conn.execute(
        "SELECT endpoint_id FROM demo_replays WHERE endpoint_id IS NOT NULL").fetchall()]
    if not ids:
        return 0
    conn.execute("DELETE FROM webhook_deliveries WHERE endpoint_id = ANY(%s) AND status = 'pending'", (ids,))
    return conn.execute("UPDATE webhook_endpoints SET active = false WHERE endpoint_id = ANY(%s) AND active",
                        (ids,)).rowcount


def start_replay(conn: psycopg.Connection, scenario_from: datetime, speed: float, city_seed: int,
                 city_cameras: int, endpoint_id: int | None, receiver_url: str | None) -> int:
    """Record a new replay of the demo city ``(city_seed, city_cameras)``; returns its id."""
    row = conn.execute(
        "INSERT INTO demo_replays (scenario_from, speed, city_seed, city_cameras, endpoint_id, receiver_url) "
        "VALUES (%s, %s, %s, %s, %s, %s) RETURNING replay_id",
        (scenario_from, speed, city_seed, city_cameras, endpoint_id, receiver_url),
    ).fetchone()
    return int(row[0])


def get_replay(conn: psycopg.Connection, replay_id: int | None = None) -> dict[str, Any] | None:
    """A replay (default: the latest) with how far its publisher got."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT r.replay_id, r.started_at, r.scenario_from, r.speed, r.city_seed, r.city_cameras, "
            "       r.endpoint_id, r.receiver_url, "
            "       max(w.window_end) AS published_until, max(w.published_at) AS last_published_at, "
            "       count(w.window_end) AS windows, coalesce(sum(w.events), 0) AS events "
            "FROM demo_replays r LEFT JOIN demo_replay_windows w USING (replay_id) "
            "WHERE (%(id)s::bigint IS NULL OR r.replay_id = %(id)s) "
            "GROUP BY r.replay_id ORDER BY r.replay_id DESC LIMIT 1",
            {"id": replay_id},
        ).fetchone()


def record_window(conn: psycopg.Connection, replay_id: int, window_end: datetime, events: int,
                  batches: int) -> None:
    """Record that a window was published (and acknowledged by the stream) now."""
    conn.execute(
        "INSERT INTO demo_replay_windows (replay_id, window_end, events, batches) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (replay_id, window_end) DO UPDATE SET published_at = now(), events = excluded.events, "
        "batches = excluded.batches",
        (replay_id, window_end, events, batches),
    )


def record_receipt(conn: psycopg.Connection, replay_id: int | None, *, delivery_id: str | None,
                   event_id: str | None, event_type: str | None, signature_ok: bool, status_code: int,
                   alert: dict | None, problem: str | None) -> int:
    """Record one POST the demo receiver got; returns its id."""
    row = conn.execute(
        "INSERT INTO demo_receipts (replay_id, delivery_id, event_id, event_type, signature_ok, status_code, "
        "alert, problem) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING receipt_id",
        (replay_id, delivery_id, event_id, event_type, signature_ok, status_code,
         Jsonb(alert) if alert is not None else None, problem),
    ).fetchone()
    return int(row[0])


def receipts(conn: psycopg.Connection, replay_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The receiver's latest receipts (of one replay, or all), newest first, each with the wall time
    its causing window was published (``window_published_at``: the window ending at the alert's
    ``at``), so the delay from detections to the partner is visible."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT c.receipt_id, c.replay_id, c.received_at, c.delivery_id, c.event_id, c.event_type, "
            "       c.signature_ok, c.status_code, c.alert, c.problem, w.published_at AS window_published_at "
            "FROM demo_receipts c "
            "LEFT JOIN demo_replay_windows w ON w.replay_id = c.replay_id "
            "     AND w.window_end = (c.alert->>'at')::timestamptz "
            "WHERE (%(id)s::bigint IS NULL OR c.replay_id = %(id)s) "
            "ORDER BY c.receipt_id DESC LIMIT %(limit)s",
            {"id": replay_id, "limit": limit},
        ).fetchall()
