"""Users, sessions and API tokens (tables of migration 030).

Only hashes are stored: argon2id for passwords (computed by
:mod:`services.accounts`), SHA-256 of the random secret for session ids and
tokens.  Every function works inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row


@dataclass(frozen=True)
class Identity:
    """Who a session or token belongs to, as stored (grants are added by the caller)."""

    user_id: int
    username: str
    role: str
    department: str | None
    scopes: frozenset[str] = frozenset()
    token_name: str | None = None


def upsert_user(
    conn: psycopg.Connection, username: str, role: str, department: str | None, password_hash: str | None
) -> int:
    """Create the user, or reset its role, department and password; returns ``user_id``."""
    row = conn.execute(
        "INSERT INTO users (username, role, department_code, password_hash) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (username) DO UPDATE SET role = excluded.role, "
        "department_code = excluded.department_code, password_hash = excluded.password_hash, "
        "failed_logins = 0, locked_until = NULL, disabled = false "
        "RETURNING user_id",
        (username, role, department, password_hash),
    ).fetchone()
    return int(row[0])


def insert_user(
    conn: psycopg.Connection, username: str, role: str, department: str | None, password_hash: str | None
) -> int:
    """Create a user; raises ``psycopg.errors.UniqueViolation`` when the name is taken."""
    row = conn.execute(
        "INSERT INTO users (username, role, department_code, password_hash) "
        "VALUES (%s, %s, %s, %s) RETURNING user_id",
        (username, role, department, password_hash),
    ).fetchone()
    return int(row[0])


def user_for_login(conn: psycopg.Connection, username: str) -> dict[str, Any] | None:
    """The user row needed to check a password, locked against concurrent attempts."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT user_id, username, role, department_code, password_hash, failed_logins, "
            "locked_until, disabled, locked_until > now() AS locked FROM users "
            "WHERE username = %s FOR UPDATE",
            (username,),
        ).fetchone()


def set_failed_logins(conn: psycopg.Connection, user_id: int, failed_logins: int,
                      locked_until: datetime | None) -> None:
    """Store a user's consecutive failed logins and lock (decided by ``services.accounts``)."""
    conn.execute("UPDATE users SET failed_logins = %s, locked_until = %s WHERE user_id = %s",
                 (failed_logins, locked_until, user_id))


def clear_failed_logins(conn: psycopg.Connection, user_id: int) -> None:
    conn.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE user_id = %s", (user_id,))


def set_password_hash(conn: psycopg.Connection, username: str, password_hash: str) -> bool:
    """Replace a password and lift any lock-out; False when there is no such user."""
    cur = conn.execute(
        "UPDATE users SET password_hash = %s, failed_logins = 0, locked_until = NULL "
        "WHERE username = %s AND role <> 'device'",
        (password_hash, username),
    )
    return cur.rowcount == 1


def set_disabled(conn: psycopg.Connection, username: str, disabled: bool) -> bool:
    cur = conn.execute("UPDATE users SET disabled = %s WHERE username = %s", (disabled, username))
    return cur.rowcount == 1


def user_language(conn: psycopg.Connection, username: str) -> str | None:
    """The user's chosen page language (``en``, ``zh-Hant``), or None (follow the browser)."""
    row = conn.execute("SELECT language FROM users WHERE username = %s", (username,)).fetchone()
    return row[0] if row else None


def set_user_language(conn: psycopg.Connection, username: str, language: str | None) -> bool:
    """Store the user's page language (None: follow the browser); False when there is no such user."""
    cur = conn.execute("UPDATE users SET language = %s WHERE username = %s", (language, username))
    return cur.rowcount == 1


def list_users(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every user, without password hashes, by name."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT username, role, department_code AS department, disabled, failed_logins, "
            "locked_until, created_at FROM users ORDER BY username"
        ).fetchall()


def user_id_of(conn: psycopg.Connection, username: str) -> int | None:
    row = conn.execute("SELECT user_id FROM users WHERE username = %s", (username,)).fetchone()
    return None if row is None else int(row[0])


def insert_session(conn: psycopg.Connection, session_hash: bytes, user_id: int, lifetime_s: float) -> datetime:
    """Store a new session; returns when it expires (UTC)."""
    row = conn.execute(
        "INSERT INTO user_sessions (session_hash, user_id, expires_at) "
        "VALUES (%s, %s, now() + make_interval(secs => %s)) RETURNING expires_at",
        (session_hash, user_id, lifetime_s),
    ).fetchone()
    return row[0]


def identity_for_session(conn: psycopg.Connection, session_hash: bytes) -> Identity | None:
    """The user of a live session (not expired, not revoked, user enabled), or None."""
    row = conn.execute(
        "SELECT u.user_id, u.username, u.role, u.department_code FROM user_sessions s "
        "JOIN users u USING (user_id) WHERE s.session_hash = %s AND s.revoked_at IS NULL "
        "AND s.expires_at > now() AND NOT u.disabled AND u.role <> 'device'",
        (session_hash,),
    ).fetchone()
    return None if row is None else Identity(int(row[0]), row[1], row[2], row[3])


def revoke_session(conn: psycopg.Connection, session_hash: bytes) -> None:
    conn.execute(
        "UPDATE user_sessions SET revoked_at = now() WHERE session_hash = %s AND revoked_at IS NULL",
        (session_hash,),
    )


def insert_token(
    conn: psycopg.Connection, user_id: int, name: str, token_hash: bytes, scopes: list[str], lifetime_s: float
) -> int:
    """Store a token's hash; returns ``token_id``."""
    row = conn.execute(
        "INSERT INTO api_tokens (user_id, name, token_hash, scopes, expires_at) "
        "VALUES (%s, %s, %s, %s, now() + make_interval(secs => %s)) RETURNING token_id",
        (user_id, name, token_hash, list(scopes), lifetime_s),
    ).fetchone()
    return int(row[0])


def identity_for_token(conn: psycopg.Connection, token_hash: bytes) -> Identity | None:
    """The user of a live token (not expired, not revoked, user enabled), or None."""
    row = conn.execute(
        "SELECT u.user_id, u.username, u.role, u.department_code, t.scopes, t.name FROM api_tokens t "
        "JOIN users u USING (user_id) WHERE t.token_hash = %s AND t.revoked_at IS NULL "
        "AND t.expires_at > now() AND NOT u.disabled",
        (token_hash,),
    ).fetchone()
    if row is None:
        return None
    return Identity(int(row[0]), row[1], row[2], row[3], frozenset(row[4]), row[5])


def revoke_tokens_named(conn: psycopg.Connection, user_id: int, name: str) -> int:
    cur = conn.execute(
        "UPDATE api_tokens SET revoked_at = now() WHERE user_id = %s AND name = %s AND revoked_at IS NULL",
        (user_id, name),
    )
    return cur.rowcount
