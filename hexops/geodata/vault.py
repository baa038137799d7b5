"""SQL of the clip vault: clips, wrapped keys, holds and the retention sweep.

Every statement is a named function with bound parameters.  Times are
timestamptz (UTC); a clip's ``day`` is the UTC date of its ``recorded_at``.
A camera-day expires at ``day + 1 + keep_days`` (midnight UTC), where
``keep_days`` comes from ``vault_retention_policy`` for the camera's owner,
or its ``'*'`` row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

#: Session advisory lock serialising retention runs, hold changes and KEK rotation.
VAULT_LOCK_KEY = 0x5641554C  # "VAUL"

# Rows (camera_id, keep_days) for every camera; the CTE every expiry test joins.
_KEEP = """
    keep AS (
        SELECT c.camera_id,
               coalesce(p.keep_days, (SELECT d.keep_days FROM vault_retention_policy d
                                       WHERE d.owner_code = '*'), 30) AS keep_days
          FROM cameras c
          LEFT JOIN vault_retention_policy p ON p.owner_code = c.owner_code
    )
"""
_ACTIVE_HOLD = "(h.released_at IS NULL AND (h.until IS NULL OR h.until > %(now)s))"
# Is clip ``c`` kept by any active hold?  (A clip may be evidence in several cases.)
_PROTECTED = (
    "EXISTS (SELECT 1 FROM vault_clip_holds ch JOIN vault_holds h ON h.hold_id = ch.hold_id"
    "         WHERE ch.clip_id = c.clip_id AND " + _ACTIVE_HOLD + ")"
)


def lock(conn: psycopg.Connection) -> None:
    """Take the vault's session lock (blocks while another run or hold change holds it)."""
    conn.execute("SELECT pg_advisory_lock(%s)", (VAULT_LOCK_KEY,))


def lock_shared_for_transaction(conn: psycopg.Connection) -> None:
    """Wait out a running sweep or KEK rotation, then block new ones until this transaction ends."""
    conn.execute("SELECT pg_advisory_xact_lock_shared(%s)", (VAULT_LOCK_KEY,))


def without_jit(conn: psycopg.Connection) -> None:
    """Turn JIT off for this session: the sweep's scans are costed high enough to trigger it,
    and compiling took about half of a 200,000-row due-clips query (0.4 of 0.8 s)."""
    conn.execute("SET jit = off")


def unlock(conn: psycopg.Connection) -> None:
    conn.execute("SELECT pg_advisory_unlock(%s)", (VAULT_LOCK_KEY,))


def camera_owner(conn: psycopg.Connection, camera_id: str) -> str | None:
    """The owning department of a camera, or None when the camera is unknown."""
    row = conn.execute("SELECT owner_code FROM cameras WHERE camera_id = %s", (camera_id,)).fetchone()
    return None if row is None else row[0]


def first_active_camera(conn: psycopg.Connection) -> str | None:
    """The first active camera by id (the demo stores its clip there)."""
    row = conn.execute(
        "SELECT camera_id FROM cameras WHERE status = 'active' ORDER BY camera_id LIMIT 1"
    ).fetchone()
    return None if row is None else row[0]


def expiry(conn: psycopg.Connection, camera_id: str, day: date) -> datetime:
    """When the camera's video of ``day`` (UTC) expires."""
    return conn.execute("SELECT hexops_vault_expiry(%s, %s)", (camera_id, day)).fetchone()[0]


def set_keep_days(conn: psycopg.Connection, owner_code: str, keep_days: int) -> None:
    """Set retention for one owner (``'*'`` for the default)."""
    conn.execute(
        "INSERT INTO vault_retention_policy (owner_code, keep_days) VALUES (%s, %s) "
        "ON CONFLICT (owner_code) DO UPDATE SET keep_days = EXCLUDED.keep_days",
        (owner_code, keep_days),
    )


def retention_policy(conn: psycopg.Connection) -> list[tuple[str, int]]:
    """``(owner_code, keep_days)`` rows; owner ``'*'`` is the default."""
    return conn.execute("SELECT owner_code, keep_days FROM vault_retention_policy ORDER BY owner_code").fetchall()


def department_exists(conn: psycopg.Connection, code: str) -> bool:
    return conn.execute("SELECT 1 FROM departments WHERE code = %s", (code,)).fetchone() is not None


def day_key(conn: psycopg.Connection, camera_id: str, day: date) -> dict[str, Any] | None:
    """The wrapped day key of a camera-day: ``{key_id, kek_id, wrapped, period}`` or None."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT key_id, kek_id, wrapped, period FROM vault_keys "
            "WHERE kind = 'day' AND camera_id = %s AND day = %s",
            (camera_id, day),
        ).fetchone()


def insert_day_key(conn: psycopg.Connection, camera_id: str, day: date, kek_id: str, wrapped: bytes,
                   period: str) -> bool:
    """Store a wrapped day key unless one exists already; True if this one was stored."""
    row = conn.execute(
        "INSERT INTO vault_keys (kind, camera_id, day, kek_id, wrapped, period) VALUES ('day', %s, %s, %s, %s, %s) "
        "ON CONFLICT (camera_id, day) WHERE kind = 'day' DO NOTHING RETURNING key_id",
        (camera_id, day, kek_id, wrapped, period),
    ).fetchone()
    return row is not None


def insert_hold_key(conn: psycopg.Connection, hold_id: int, kek_id: str, wrapped: bytes, period: str) -> int:
    """Store a hold's wrapped key; returns its key_id."""
    return conn.execute(
        "INSERT INTO vault_keys (kind, hold_id, kek_id, wrapped, period) VALUES ('hold', %s, %s, %s, %s) "
        "RETURNING key_id",
        (hold_id, kek_id, wrapped, period),
    ).fetchone()[0]


def referenced_periods(conn: psycopg.Connection) -> set[str]:
    """Every period a wrapped key still names (the key store must keep these, and only these)."""
    return {r[0] for r in conn.execute("SELECT DISTINCT period FROM vault_keys WHERE period IS NOT NULL")}


def insert_clip(
    conn: psycopg.Connection, *, clip_id: str, camera_id: str, recorded_at: datetime, day: date,
    size_bytes: int, path: str, key_id: int, stored_by: str,
) -> None:
    conn.execute(
        "INSERT INTO vault_clips (clip_id, camera_id, recorded_at, day, size_bytes, path, key_id, stored_by) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (clip_id, camera_id, recorded_at, day, size_bytes, path, key_id, stored_by),
    )


def clip(conn: psycopg.Connection, clip_id: str, for_update: bool = False) -> dict[str, Any] | None:
    """A clip with its key (``kind``, ``kek_id``, ``wrapped``, may be NULL), hold and expiry."""
    query = (
        "SELECT c.clip_id, c.camera_id, c.recorded_at, c.day, c.size_bytes, c.path, c.key_id, c.hold_id, "
        "       k.kind AS key_kind, k.kek_id, k.wrapped, k.period, "
        "       hexops_vault_expiry(c.camera_id, c.day) AS expires_at "
        "  FROM vault_clips c LEFT JOIN vault_keys k ON k.key_id = c.key_id WHERE c.clip_id = %s"
    )
    if for_update:
        query += " FOR UPDATE OF c"
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, (clip_id,)).fetchone()


def user_role(conn: psycopg.Connection, username: str) -> str | None:
    """The role of an enabled user from the accounts table, or None if unknown or disabled."""
    if conn.execute("SELECT to_regclass('users')").fetchone()[0] is None:
        return None
    row = conn.execute(
        "SELECT role FROM users WHERE username = %s AND NOT disabled", (username,)
    ).fetchone()
    return None if row is None else row[0]


def insert_hold(
    conn: psycopg.Connection, *, case_id: str, placed_by: str, reason: str, until: datetime | None
) -> int:
    return conn.execute(
        "INSERT INTO vault_holds (case_id, placed_by, reason, until) VALUES (%s, %s, %s, %s) RETURNING hold_id",
        (case_id, placed_by, reason, until),
    ).fetchone()[0]


def move_clip_under_hold(conn: psycopg.Connection, clip_id: str, hold_id: int, key_id: int, path: str) -> None:
    """Point a clip at its re-encrypted file under the hold's key."""
    conn.execute(
        "UPDATE vault_clips SET hold_id = %s, key_id = %s, path = %s WHERE clip_id = %s",
        (hold_id, key_id, path, clip_id),
    )


def link_clip_to_hold(conn: psycopg.Connection, clip_id: str, hold_id: int) -> None:
    conn.execute("INSERT INTO vault_clip_holds (clip_id, hold_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                 (clip_id, hold_id))


def clip_is_held(conn: psycopg.Connection, clip_id: str, now: datetime) -> bool:
    """True when an active hold keeps the clip at ``now``."""
    row = conn.execute(
        "SELECT " + _PROTECTED + " FROM vault_clips c WHERE c.clip_id = %(clip)s", {"clip": clip_id, "now": now}
    ).fetchone()
    return bool(row and row[0])


def hold(conn: psycopg.Connection, hold_id: int, for_update: bool = False) -> dict[str, Any] | None:
    query = "SELECT * FROM vault_holds WHERE hold_id = %s" + (" FOR UPDATE" if for_update else "")
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, (hold_id,)).fetchone()


def release_hold(conn: psycopg.Connection, hold_id: int, released_by: str, reason: str) -> None:
    conn.execute(
        "UPDATE vault_holds SET released_at = now(), released_by = %s, release_reason = %s WHERE hold_id = %s",
        (released_by, reason, hold_id),
    )


def list_holds(conn: psycopg.Connection, now: datetime, include_released: bool = False) -> list[dict[str, Any]]:
    """Holds with their clip counts and whether each is active at ``now``."""
    query = (
        "SELECT h.hold_id, h.case_id, h.placed_by, h.reason, h.placed_at, h.until, h.released_at, "
        "       h.released_by, " + _ACTIVE_HOLD + " AS active, "
        "       (SELECT count(*) FROM vault_clip_holds ch WHERE ch.hold_id = h.hold_id) AS clips "
        "  FROM vault_holds h WHERE %(all)s OR " + _ACTIVE_HOLD + " ORDER BY h.hold_id"
    )
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, {"now": now, "all": include_released}).fetchall()


def destroy_expired_keys(conn: psycopg.Connection, now: datetime, batch: int) -> list[tuple]:
    """Delete up to ``batch`` expired keys (crypto-shredding); returns ``(key_id, kind, camera_id, day, hold_id)``.

    A day key is expired when its camera-day is.  A hold key is expired when
    its hold is no longer active and none of the clips it encrypts is still
    within retention or kept by another active hold.  Clip rows stay, pointing at a key that no longer exists
    (no foreign key: see migration 061), until :func:`due_clips` finds them.
    """
    query = (
        "WITH " + _KEEP + ", doomed AS ("
        "  SELECT k.key_id FROM vault_keys k JOIN keep USING (camera_id)"
        "   WHERE k.kind = 'day' AND k.day + 1 + keep.keep_days <= (%(now)s AT TIME ZONE 'UTC')::date"
        "  UNION ALL"
        "  SELECT k.key_id FROM vault_keys k JOIN vault_holds h USING (hold_id)"
        "   WHERE k.kind = 'hold' AND NOT " + _ACTIVE_HOLD +
        "     AND NOT EXISTS (SELECT 1 FROM vault_clips c JOIN keep USING (camera_id)"
        "                      WHERE c.key_id = k.key_id"
        "                        AND (c.day + 1 + keep.keep_days > (%(now)s AT TIME ZONE 'UTC')::date"
        "                             OR " + _PROTECTED + "))"
        "  LIMIT %(batch)s)"
        " DELETE FROM vault_keys k USING doomed WHERE k.key_id = doomed.key_id"
        " RETURNING k.key_id, k.kind, k.camera_id, k.day, k.hold_id"
    )
    return conn.execute(query, {"now": now, "batch": batch}).fetchall()


def due_clips(conn: psycopg.Connection, now: datetime) -> list[tuple[str, str]]:
    """Every clip due for deletion at ``now``: ``(clip_id, path)``, in one scan.

    Due: its key is gone (shredded), or its camera-day expired and no active
    hold keeps it.  The caller holds the vault lock, so no hold can change
    meanwhile, and new clips are never due (the vault refuses expired footage).
    """
    query = (
        "WITH " + _KEEP +
        " SELECT c.clip_id, c.path FROM vault_clips c JOIN keep USING (camera_id)"
        "  WHERE NOT EXISTS (SELECT 1 FROM vault_keys k WHERE k.key_id = c.key_id)"
        "     OR (c.day + 1 + keep.keep_days <= (%(now)s AT TIME ZONE 'UTC')::date AND NOT " + _PROTECTED + ")"
    )
    return conn.execute(query, {"now": now}).fetchall()


def list_clips(conn: psycopg.Connection, camera_id: str | None, limit: int) -> list[dict[str, Any]]:
    """Newest clips first (optionally of one camera), with expiry and hold; no key material."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT c.clip_id, c.camera_id, c.recorded_at, c.size_bytes, "
            "       ARRAY(SELECT ch.hold_id FROM vault_clip_holds ch WHERE ch.clip_id = c.clip_id"
            "              ORDER BY ch.hold_id) AS holds, "
            "       hexops_vault_expiry(c.camera_id, c.day) AS expires_at "
            "  FROM vault_clips c WHERE %(camera)s::text IS NULL OR c.camera_id = %(camera)s "
            " ORDER BY c.recorded_at DESC LIMIT %(limit)s",
            {"camera": camera_id, "limit": limit},
        ).fetchall()


def all_clip_paths(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """``(path, clip_id)`` of every clip row (for the vault consistency check)."""
    return conn.execute("SELECT path, clip_id FROM vault_clips").fetchall()


def delete_clips(conn: psycopg.Connection, clip_ids: list[str]) -> int:
    """Delete clip rows and their hold links (set-based; returns the clips deleted)."""
    # One statement, one transfer of the id list; only held clips can have links.
    return conn.execute(
        "WITH gone AS (DELETE FROM vault_clips WHERE clip_id = ANY(%s) RETURNING clip_id, hold_id),"
        " unlinked AS (DELETE FROM vault_clip_holds l USING gone"
        "               WHERE gone.hold_id IS NOT NULL AND l.clip_id = gone.clip_id RETURNING 1)"
        " SELECT count(*) FROM gone",
        (clip_ids,),
    ).fetchone()[0]


def all_keys_for_update(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every wrapped key with its camera's owner, locked (KEK rotation re-wraps them in one transaction)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT k.key_id, k.kind, k.camera_id, k.day, k.hold_id, k.kek_id, k.wrapped, k.period, "
            "       c.owner_code FROM vault_keys k LEFT JOIN cameras c USING (camera_id) "
            "ORDER BY k.key_id FOR UPDATE OF k"
        ).fetchall()


def rewrap_key(conn: psycopg.Connection, key_id: int, kek_id: str, wrapped: bytes, period: str) -> None:
    conn.execute("UPDATE vault_keys SET kek_id = %s, wrapped = %s, period = %s WHERE key_id = %s",
                 (kek_id, wrapped, period, key_id))


def clips_by_days_to_expiry(conn: psycopg.Connection, now: datetime) -> list[tuple[int, bool, int, int]]:
    """``(days_to_expiry, held, clips, bytes)`` groups, days rounded down (negative: overdue)."""
    query = (
        "WITH " + _KEEP +
        " SELECT (c.day + 1 + keep.keep_days) - (%(now)s AT TIME ZONE 'UTC')::date AS days,"
        "        " + _PROTECTED + " AS held,"
        "        count(*), coalesce(sum(c.size_bytes), 0)::bigint"
        "   FROM vault_clips c JOIN keep USING (camera_id)"
        "  GROUP BY 1, 2 ORDER BY 1, 2"
    )
    return conn.execute(query, {"now": now}).fetchall()


def last_audit(conn: psycopg.Connection, action: str) -> dict[str, Any] | None:
    """The newest audit entry with this action (the last retention receipt, for one)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT audit_id, at, actor, action, target, reason, details FROM audit_log "
            "WHERE action = %s ORDER BY audit_id DESC LIMIT 1",
            (action,),
        ).fetchone()
