"""Webhook endpoints and the delivery log (tables of migration 033).

Times are passed in (``now``), never read from the clock here, so the retry
schedule can be tested without waiting.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb


def add_endpoint(conn: psycopg.Connection, department: str, url: str, secret: str,
                 event_types: list[str]) -> int:
    row = conn.execute(
        "INSERT INTO webhook_endpoints (department_code, url, secret, event_types) "
        "VALUES (%s, %s, %s, %s) RETURNING endpoint_id",
        (department, url, secret, event_types),
    ).fetchone()
    return int(row[0])


def set_endpoint_active(conn: psycopg.Connection, endpoint_id: int, active: bool) -> bool:
    cur = conn.execute("UPDATE webhook_endpoints SET active = %s WHERE endpoint_id = %s", (active, endpoint_id))
    return cur.rowcount == 1


def enqueue(conn: psycopg.Connection, event_type: str, event_id: str, payload: dict[str, Any],
            layer: str, now: datetime) -> int:
    """Queue one delivery per active endpoint subscribed to ``event_type`` whose department
    holds a live grant of ``layer``; a repeated ``event_id`` is not queued twice.

    Returns the number of deliveries queued.
    """
    cur = conn.execute(
        "INSERT INTO webhook_deliveries (endpoint_id, event_type, event_id, payload, next_attempt_at) "
        "SELECT e.endpoint_id, %(type)s, %(id)s, %(payload)s, %(now)s FROM webhook_endpoints e "
        "WHERE e.active AND %(type)s = ANY (e.event_types) AND EXISTS ("
        "  SELECT 1 FROM layer_grants g WHERE g.department_code = e.department_code AND g.layer = %(layer)s "
        "  AND g.revoked_at IS NULL AND g.expires_at > %(now)s) "
        "ON CONFLICT (endpoint_id, event_id) DO NOTHING",
        {"type": event_type, "id": event_id, "payload": Jsonb(payload), "layer": layer, "now": now},
    )
    return cur.rowcount


def claim_due(conn: psycopg.Connection, now: datetime) -> dict[str, Any] | None:
    """The oldest due pending delivery with its endpoint, row-locked until the transaction ends.

    ``SKIP LOCKED`` lets several workers drain the queue without sending twice.
    """
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT d.delivery_id, d.event_type, d.event_id, d.payload, d.attempts, e.url, e.secret, "
            "e.department_code AS department FROM webhook_deliveries d "
            "JOIN webhook_endpoints e USING (endpoint_id) "
            "WHERE d.status = 'pending' AND d.next_attempt_at <= %s "
            "ORDER BY d.next_attempt_at, d.delivery_id LIMIT 1 FOR UPDATE OF d SKIP LOCKED",
            (now,),
        ).fetchone()


def mark_delivered(conn: psycopg.Connection, delivery_id: int, status_code: int, now: datetime) -> None:
    conn.execute(
        "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, "
        "last_status_code = %s, last_error = NULL, delivered_at = %s WHERE delivery_id = %s",
        (status_code, now, delivery_id),
    )


def mark_failed(conn: psycopg.Connection, delivery_id: int, status_code: int | None, error: str,
                retry_at: datetime | None) -> None:
    """Record a failed attempt; ``retry_at=None`` gives up (status ``failed``)."""
    conn.execute(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status_code = %s, last_error = %s, "
        "status = CASE WHEN %s::timestamptz IS NULL THEN 'failed' ELSE 'pending' END, "
        "next_attempt_at = coalesce(%s, next_attempt_at) WHERE delivery_id = %s",
        (status_code, error[:500], retry_at, retry_at, delivery_id),
    )


def list_deliveries(conn: psycopg.Connection, limit: int = 200) -> list[dict[str, Any]]:
    """The delivery log, newest first, without payloads or secrets."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT d.delivery_id, e.department_code AS department, e.url, d.event_type, d.event_id, d.status, "
            "d.attempts, d.last_status_code, d.last_error, d.next_attempt_at, d.created_at, d.delivered_at "
            "FROM webhook_deliveries d JOIN webhook_endpoints e USING (endpoint_id) "
            "ORDER BY d.delivery_id DESC LIMIT %s",
            (limit,),
        ).fetchall()


def list_endpoints(conn: psycopg.Connection) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT endpoint_id, department_code AS department, url, event_types, active, created_at "
            "FROM webhook_endpoints ORDER BY endpoint_id"
        ).fetchall()
