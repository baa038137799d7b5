"""Layer grants to partner departments: granting, revoking, listing (all audited)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import psycopg

from hexops.errors import InputError
from hexops.geodata import audit
from hexops.geodata import grants as q


class GrantError(InputError):
    """A grant request naming an unknown department or layer, or a past expiry."""


def grant_layer(
    conn: psycopg.Connection, department: str, layer: str, expires_at: datetime, *, actor: str,
    reason: str | None = None,
) -> int:
    """Grant ``layer`` to ``department`` until ``expires_at`` (timezone-aware, UTC stored)."""
    if department not in q.department_codes(conn):
        raise GrantError(f"department: no department {department!r}")
    if layer not in q.layer_names(conn):
        raise GrantError(f"layer: {layer!r} is not a shared layer")
    if expires_at.tzinfo is None:
        raise GrantError("expires_at: give a timezone-aware time")
    if expires_at <= datetime.now(timezone.utc):
        raise GrantError("expires_at: must be in the future")
    grant_id = q.grant(conn, department, layer, expires_at, actor, reason)
    audit.record(conn, actor=actor, action="grant.change", target=f"{department}/{layer}", reason=reason,
                 details={"op": "grant", "grant_id": grant_id, "expires_at": expires_at.isoformat()})
    return grant_id


def revoke_grant(conn: psycopg.Connection, grant_id: int, *, actor: str, reason: str | None = None) -> None:
    revoked = q.revoke(conn, grant_id, actor)
    if revoked is None:
        raise GrantError(f"grant_id: no open grant {grant_id}")
    audit.record(conn, actor=actor, action="grant.change",
                 target=f"{revoked['department']}/{revoked['layer']}", reason=reason,
                 details={"op": "revoke", "grant_id": grant_id})


def list_grants(conn: psycopg.Connection, include_closed: bool = False) -> list[dict[str, Any]]:
    return q.list_grants(conn, include_closed)
