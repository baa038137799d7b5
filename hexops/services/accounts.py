"""Accounts: password login, expiring sessions, lock-out, scoped API tokens.

This is where a request becomes a :class:`hexops.identity.User`
(:func:`resolve_request`, installed by :func:`dashboard.access.install`):

- ``Authorization: Bearer <token>`` -- an API token (partner GIS, gateways,
  scripts), looked up by its SHA-256;
- otherwise the Flask session cookie, which carries only a random session id
  whose hash is looked up in ``user_sessions`` (so logout and expiry take
  effect server-side at once).

Passwords are hashed with argon2id (argon2-cffi's RFC 9106 defaults).
Settings (:mod:`hexops.settings`): ``session_hours`` (default 8),
``lockout_failures`` (5), ``lockout_minutes`` (15).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hexops.identity import ROLES, User
from hexops.errors import InputError
from hexops.geodata import accounts as q
from hexops.geodata import audit
from hexops.geodata import grants as grant_q

DEMO_STEP = (20, "users, departments and grants")

_hasher = PasswordHasher()
#: Checked against when the user does not exist, so that an unknown name
#: costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("hexops-no-such-user")
TOKEN_PREFIX = "hxt_"
MIN_PASSWORD_LENGTH = 10


class AccountError(InputError):
    """A login, user or token request that cannot be honoured; the message says why."""


@dataclass(frozen=True)
class Policy:
    """Session and lock-out settings.

    Attributes
    ----------
    session_seconds : float
        Absolute lifetime of a password session, in seconds.
    lockout_failures : int
        Consecutive failed logins that lock an account.
    lockout_seconds : float
        How long a locked account stays locked, in seconds.
    """

    session_seconds: float = 8 * 3600.0
    lockout_failures: int = 5
    lockout_seconds: float = 15 * 60.0

    @classmethod
    def from_settings(cls, settings) -> "Policy":
        """The policy of a :class:`hexops.settings.Settings`."""
        return cls(
            session_seconds=settings.session_hours * 3600.0,
            lockout_failures=settings.lockout_failures,
            lockout_seconds=settings.lockout_minutes * 60.0,
        )


def hash_secret(secret: str) -> bytes:
    """SHA-256 of a session id or token: enough for 256-bit random secrets."""
    return hashlib.sha256(secret.encode("utf-8")).digest()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password: must be at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def create_user(
    conn: psycopg.Connection, username: str, role: str, password: str | None,
    department: str | None = None, actor: str = "system",
) -> int:
    """Create a user (a ``device`` has no password); recorded in the audit log."""
    if role not in ROLES:
        raise AccountError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    if role in ("partner", "device") and not department:
        raise AccountError(f"department: a {role} account must belong to a department")
    if role == "device" and password is not None:
        raise AccountError("password: device accounts sign in with tokens only")
    if role != "device" and password is None:
        raise AccountError("password: required for a person's account")
    password_hash = hash_password(password) if password is not None else None
    try:
        with conn.transaction():
            user_id = q.insert_user(conn, username, role, department, password_hash)
    except psycopg.errors.UniqueViolation as exc:
        raise AccountError(f"username: {username!r} already exists") from exc
    except psycopg.errors.CheckViolation as exc:
        raise AccountError(f"username: {username!r} must be 2-63 lower-case letters, digits, '.', '_' or '-'") from exc
    except psycopg.errors.ForeignKeyViolation as exc:
        raise AccountError(f"department: no department {department!r}") from exc
    audit.record(conn, actor=actor, action="user.create", target=username,
                 details={"role": role, "department": department})
    return user_id


def login(conn: psycopg.Connection, username: str, password: str, policy: Policy,
          remote: str | None = None) -> tuple[str, User]:
    """Check a password and open a session; returns ``(session_id, user)``.

    Every attempt is audited.  Raises :class:`AccountError` (one message for
    an unknown name and a wrong password, so names cannot be probed) or when
    the account is locked.
    """
    row = q.user_for_login(conn, username)
    details = {"remote": remote}
    if row is None or row["password_hash"] is None or row["disabled"]:
        _verify(_DUMMY_HASH, password)
        audit.record(conn, actor=username, action="login.failure", details={**details, "why": "unknown"})
        raise AccountError("wrong user name or password")
    if row["locked"]:
        audit.record(conn, actor=username, action="login.failure", details={**details, "why": "locked"})
        raise AccountError("account locked after repeated failures; try again later")
    if not _verify(row["password_hash"], password):
        locked_until = q.note_failed_login(conn, row["user_id"], policy.lockout_failures, policy.lockout_seconds)
        audit.record(conn, actor=username, action="login.failure",
                     details={**details, "why": "password", "locked": locked_until is not None})
        raise AccountError("wrong user name or password")
    q.clear_failed_logins(conn, row["user_id"])
    session_id = secrets.token_urlsafe(32)
    q.insert_session(conn, hash_secret(session_id), row["user_id"], policy.session_seconds)
    audit.record(conn, actor=username, action="login.success", details=details)
    identity = q.Identity(row["user_id"], row["username"], row["role"], row["department_code"])
    return session_id, _user(conn, identity, via_token=False)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def logout(conn: psycopg.Connection, session_id: str, username: str | None) -> None:
    q.revoke_session(conn, hash_secret(session_id))
    if username:
        audit.record(conn, actor=username, action="logout")


def issue_token(
    conn: psycopg.Connection, username: str, name: str, scopes: list[str], days: float,
    actor: str = "system",
) -> str:
    """Create an API token for ``username``; the secret is returned once and never stored."""
    user_id = q.user_id_of(conn, username)
    if user_id is None:
        raise AccountError(f"username: no user {username!r}")
    if days <= 0:
        raise AccountError("days: a token must expire in the future")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    q.insert_token(conn, user_id, name, hash_secret(token), scopes, days * 86400.0)
    audit.record(conn, actor=actor, action="token.issue", target=username,
                 details={"name": name, "scopes": sorted(scopes), "days": days})
    return token


def _user(conn: psycopg.Connection, identity: q.Identity, via_token: bool) -> User:
    layers = grant_q.live_layers(conn, identity.department) if identity.department else frozenset()
    return User(identity.username, identity.role, identity.department, layers, identity.scopes, via_token)


def user_for_token(conn: psycopg.Connection, token: str) -> User | None:
    identity = q.identity_for_token(conn, hash_secret(token))
    return None if identity is None else _user(conn, identity, via_token=True)


def user_for_session(conn: psycopg.Connection, session_id: str) -> User | None:
    identity = q.identity_for_session(conn, hash_secret(session_id))
    return None if identity is None else _user(conn, identity, via_token=False)


def resolve_request() -> User | None:
    """The :class:`User` of the current Flask request, or None (see the module docstring)."""
    from flask import request, session

    from hexops.dashboard.context import app_context

    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else None
    session_id = session.get("sid")
    if not token and not session_id:
        return None
    with app_context().db.connection() as conn:
        if token:
            return user_for_token(conn, token)
        return user_for_session(conn, session_id)


DEMO_USERS: dict[str, tuple[str, str | None]] = {
    "commander": ("commander", None),
    "event-manager": ("event_manager", None),
    "drainage-partner": ("partner", "DSD"),
    "admin": ("admin", None),
}
DEMO_GATEWAY = ("gateway-hkpf", "HKPF")
#: What the Drainage Services Department sees in the demo: water, not people.
DEMO_DSD_LAYERS = ("flood_alerts", "flood_states", "rainfall", "water_states")
TOKEN_SCOPES = {
    "commander": ["layers:read"], "event_manager": ["layers:read"], "partner": ["layers:read"],
    "admin": ["layers:read", "admin"], "device": ["detections:write"],
}


def demo_step(context, echo: Callable[[str], None]) -> None:
    """Create one demo user per role, a gateway token and the DSD grants.

    Idempotent: users are reset to fresh passwords and tokens each run, and
    ``<state_dir>/demo-credentials.json`` is rewritten with them.
    """
    from datetime import datetime, timedelta, timezone

    from hexops.services import grants

    credentials: dict[str, dict[str, str | None]] = {}
    with context.db.connection() as conn:
        for username, (role, department) in DEMO_USERS.items():
            password = secrets.token_urlsafe(12)
            user_id = q.upsert_user(conn, username, role, department, hash_password(password))
            q.revoke_tokens_named(conn, user_id, "demo")
            token = issue_token(conn, username, "demo", TOKEN_SCOPES[role], 90, actor="system:demo")
            credentials[username] = {"role": role, "password": password, "token": token}
        gateway, department = DEMO_GATEWAY
        user_id = q.upsert_user(conn, gateway, "device", department, None)
        q.revoke_tokens_named(conn, user_id, "demo")
        token = issue_token(conn, gateway, "demo", TOKEN_SCOPES["device"], 90, actor="system:demo")
        credentials[gateway] = {"role": "device", "password": None, "token": token}
        until = datetime.now(timezone.utc) + timedelta(days=365)
        for layer in DEMO_DSD_LAYERS:
            grants.grant_layer(conn, "DSD", layer, until, actor="system:demo", reason="demo data-sharing agreement")
    path = Path(context.settings.state_dir) / "demo-credentials.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(credentials, indent=2))
    path.chmod(0o600)
    echo(f"  {len(credentials)} demo accounts; credentials in {path}")
    echo(f"  DSD granted: {', '.join(DEMO_DSD_LAYERS)}")
