"""The CORS allow-list: origins whose web pages may read a department's shared layers (migration 038).

An entry is open until removed; removing closes it (``removed_at``) so the
list's history stays.  Origins are stored exactly as browsers send them in
the ``Origin`` header (lower case, no path); :func:`services.cors_origins.normalise`
makes them so.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row


def add(conn: psycopg.Connection, department: str, origin: str, added_by: str, reason: str | None) -> int | None:
    """Open an entry for ``origin`` and ``department``; its id, or None when one is already open."""
    row = conn.execute(
        "INSERT INTO department_origins (department_code, origin, added_by, reason) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (department_code, origin) WHERE removed_at IS NULL DO NOTHING RETURNING origin_id",
        (department, origin, added_by, reason),
    ).fetchone()
    return None if row is None else int(row[0])


def remove(conn: psycopg.Connection, origin_id: int, removed_by: str) -> dict[str, Any] | None:
    """Close an open entry by id; the closed entry (department, origin), or None when none was open."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "UPDATE department_origins SET removed_at = now(), removed_by = %s "
            "WHERE origin_id = %s AND removed_at IS NULL RETURNING department_code AS department, origin",
            (removed_by, origin_id),
        ).fetchone()


def list_origins(conn: psycopg.Connection, include_removed: bool = False) -> list[dict[str, Any]]:
    """Entries by department and origin, open ones (and with ``include_removed`` the closed ones)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT origin_id, department_code AS department, origin, added_by, added_at, reason, removed_at, "
            "removed_by FROM department_origins WHERE %s OR removed_at IS NULL ORDER BY department_code, origin, "
            "origin_id", (include_removed,),
        ).fetchall()


def departments_allowing(conn: psycopg.Connection, origin: str) -> frozenset[str]:
    """Departments whose open list names ``origin``."""
    rows = conn.execute(
        "SELECT department_code FROM department_origins WHERE origin = %s AND removed_at IS NULL", (origin,),
    ).fetchall()
    return frozenset(r[0] for r in rows)
