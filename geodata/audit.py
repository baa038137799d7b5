"""Appending to the audit log (who, what, when, why).

Every part of hexops that must leave a record calls :func:`record` inside
its own transaction, so the record commits or rolls back with the action.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb


def record(
    conn: psycopg.Connection,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Append one audit entry; returns its id.

    Parameters
    ----------
    conn : psycopg.Connection
        The caller's connection; the entry is part of its transaction.
    actor : str
        User name, token name or ``system:<job>``.
    action : str
        Dotted verb, e.g. ``login.success``, ``partner.read``, ``clip.view``,
        ``grant.change``, ``retention.run``.
    """
    row = conn.execute(
        "INSERT INTO audit_log (actor, action, target, reason, details) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING audit_id",
        (actor, action, target, reason, Jsonb(details or {})),
    ).fetchone()
    return int(row[0])
