"""Departments' layer grants (tables of migration 031), with expiry.

A grant is live while it is neither revoked nor past ``expires_at``; the
check is made in SQL against ``now()`` on every request, so an expired grant
stops working without any job having to run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row


def live_layers(conn: psycopg.Connection, department: str) -> frozenset[str]:
    """Layers currently granted to ``department``."""
    rows = conn.execute(
        "SELECT layer FROM layer_grants WHERE department_code = %s AND revoked_at IS NULL "
        "AND expires_at > now()",
        (department,),
    ).fetchall()
    return frozenset(r[0] for r in rows)


def layer_names(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM shared_layers ORDER BY name")]


def department_codes(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT code FROM departments ORDER BY code")]


def grant(
    conn: psycopg.Connection, department: str, layer: str, expires_at: datetime, granted_by: str,
    reason: str | None,
) -> int:
    """Grant (or renew) ``layer`` to ``department`` until ``expires_at``; returns ``grant_id``.

    An open grant for the same pair is revoked first, so the history of each
    pair stays in the table.
    """
    conn.execute(
        "UPDATE layer_grants SET revoked_at = now(), revoked_by = %s "
        "WHERE department_code = %s AND layer = %s AND revoked_at IS NULL",
        (granted_by, department, layer),
    )
    row = conn.execute(
        "INSERT INTO layer_grants (department_code, layer, granted_by, expires_at, reason) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING grant_id",
        (department, layer, granted_by, expires_at, reason),
    ).fetchone()
    return int(row[0])


def revoke(conn: psycopg.Connection, grant_id: int, revoked_by: str) -> dict[str, Any] | None:
    """Revoke one open grant; returns its department and layer, or None if none was open."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "UPDATE layer_grants SET revoked_at = now(), revoked_by = %s "
            "WHERE grant_id = %s AND revoked_at IS NULL RETURNING department_code AS department, layer",
            (revoked_by, grant_id),
        ).fetchone()


def list_grants(conn: psycopg.Connection, include_closed: bool = False) -> list[dict[str, Any]]:
    """Grants with a ``live`` flag, by department and layer."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT grant_id, department_code AS department, layer, granted_by, granted_at, expires_at, "
            "reason, revoked_at, revoked_by, (revoked_at IS NULL AND expires_at > now()) AS live "
            "FROM layer_grants WHERE %s OR revoked_at IS NULL ORDER BY department_code, layer, grant_id",
            (include_closed,),
        ).fetchall()
