"""Accounts: password login, expiring sessions, lock-out, scoped API tokens.

This is where a request's credentials become a :class:`hexops.identity.User`
(:func:`identify`; the web layer's ``hexops.dashboard.access`` reads them
from the request and calls it):

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
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hexops.errors import InputError
from hexops.geodata import accounts as q
from hexops.identity import ROLES, SCOPES, User
from hexops.services import grants

DEMO_STEP = (20, "users, departments and grants")

_hasher = PasswordHasher()
#: Checked against when the user does not exist, so that an unknown name
#: costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("hexops-no-such-user")
TOKEN_PREFIX = "hxt_"
MIN_PASSWORD_LENGTH = 10
#: The one answer to every refused sign-in: an unknown name, a wrong password,
#: a disabled or a locked account all read the same, so none can be probed.
REFUSED = "wrong user name or password, or the account is locked after repeated failures"
#: The short code the sign-in redirect carries in its URL for :data:`REFUSED`.
REFUSED_CODE = "refused"


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
        raise AccountError(f"password: must be at least {MIN_PASSWORD_LENGTH} characters", field="password")
    return _hasher.hash(password)


def create_user(
    uow, username: str, role: str, password: str | None, department: str | None = None, actor: str = "system",
) -> int:
    """Create a user (a ``device`` has no password); recorded in the audit log."""
    if role not in ROLES:
        raise AccountError(f"role: {role!r} is not one of {', '.join(ROLES)}", field="role")
    if role in ("partner", "device") and not department:
        raise AccountError(f"department: a {role} account must belong to a department", field="department")
    if role == "device" and password is not None:
        raise AccountError("password: device accounts sign in with tokens only", field="password")
    if role != "device" and password is None:
        raise AccountError("password: required for a person's account", field="password")
    password_hash = hash_password(password) if password is not None else None
    with uow:
        try:
            user_id = uow.accounts.insert_user(username, role, department, password_hash)
        except psycopg.errors.UniqueViolation as exc:
            raise AccountError(f"username: {username!r} already exists", field="username") from exc
        except psycopg.errors.CheckViolation as exc:
            raise AccountError(f"username: {username!r} must be 2-63 lower-case letters, digits, '.', '_' or '-'",
                               field="username") from exc
        except psycopg.errors.ForeignKeyViolation as exc:
            raise AccountError(f"department: no department {department!r}", field="department") from exc
        uow.audit.record(actor=actor, action="user.create", target=username,
                         details={"role": role, "department": department})
        uow.commit()
    return user_id


def after_failure(failed_logins: int, locked_until: datetime | None, now: datetime,
                  policy: Policy) -> tuple[int, datetime | None]:
    """The failure count and lock after one more wrong password: ``(count, locked_until or None)``.

    A lock that has run out starts a fresh count, so one more mistake after
    the wait does not lock the account again at once.
    """
    if locked_until is not None and locked_until <= now:
        failed_logins, locked_until = 0, None
    failed_logins += 1
    if failed_logins >= policy.lockout_failures:
        locked_until = now + timedelta(seconds=policy.lockout_seconds)
    return failed_logins, locked_until


def login(uow, username: str, password: str, policy: Policy, remote: str | None = None,
          now: datetime | None = None) -> tuple[str, User]:
    """Check a password and open a session; returns ``(session_id, user)``.

    Every attempt is audited.  A refusal -- unknown name, wrong password,
    disabled or locked account -- raises :class:`AccountError` with one
    message (:data:`REFUSED`) after the same argon2 work, and only after its
    record (``login.failure``, the failure count, ``login.lockout`` when the
    lock engages) is committed in its own transaction: the refusal itself
    must not roll the count back.
    """
    now = now or datetime.now(timezone.utc)
    details: dict[str, Any] = {"remote": remote}
    with uow:
        # Locked FOR UPDATE: concurrent attempts on one account queue, so each counts.
        row = uow.accounts.user_for_login(username)
        if row is None or row["password_hash"] is None or row["disabled"]:
            _verify(_DUMMY_HASH, password)
            _refuse(uow, username, {**details, "why": "unknown" if row is None else "no password or disabled"})
        correct = _verify(row["password_hash"], password)
        if row["locked_until"] is not None and row["locked_until"] > now:
            _refuse(uow, username, {**details, "why": "locked", "locked_until": row["locked_until"].isoformat()})
        if not correct:
            failures, locked_until = after_failure(row["failed_logins"], row["locked_until"], now, policy)
            uow.accounts.set_failed_logins(row["user_id"], failures, locked_until)
            locks_now = locked_until is not None and locked_until > now
            if locks_now:
                uow.audit.record(actor="system:accounts", action="login.lockout", target=username,
                                 details={"failures": failures, "locked_until": locked_until.isoformat()})
            _refuse(uow, username, {**details, "why": "password", "failures": failures, "locked": locks_now})
        uow.accounts.clear_failed_logins(row["user_id"])
        session_id = secrets.token_urlsafe(32)
        uow.accounts.insert_session(hash_secret(session_id), row["user_id"], policy.session_seconds)
        uow.audit.record(actor=username, action="login.success", details=details)
        identity = q.Identity(row["user_id"], row["username"], row["role"], row["department_code"])
        user = _user(uow, identity, via_token=False)
        uow.commit()
    return session_id, user


def _refuse(uow, username: str, details: dict[str, Any]) -> None:
    """Record a refused sign-in, commit the record, and raise the one refusal message."""
    uow.audit.record(actor=username, action="login.failure", details=details)
    uow.commit()
    raise AccountError(REFUSED)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def logout(uow, session_id: str, username: str | None) -> None:
    """Revoke a session server-side (a copied cookie stops working too); audited."""
    with uow:
        uow.accounts.revoke_session(hash_secret(session_id))
        if username:
            uow.audit.record(actor=username, action="logout")
        uow.commit()


def issue_token(uow, username: str, name: str, scopes: list[str], days: float, actor: str = "system") -> str:
    """Create an API token for ``username``; the secret is returned once and never stored."""
    if days <= 0:
        raise AccountError("days: a token must expire in the future", field="days")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise AccountError(f"scopes: {', '.join(unknown) or 'none given'}; a token needs one or more of "
                           f"{', '.join(SCOPES)}", field="scopes")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow:
        user_id = uow.accounts.user_id_of(username)
        if user_id is None:
            raise AccountError(f"username: no user {username!r}", field="username")
        uow.accounts.insert_token(user_id, name, hash_secret(token), scopes, days * 86400.0)
        uow.audit.record(actor=actor, action="token.issue", target=username,
                         details={"name": name, "scopes": sorted(scopes), "days": days})
        uow.commit()
    return token


def set_password(uow, username: str, password: str, *, actor: str) -> None:
    """Give a person a new password (argon2id) and lift any lock-out; audited."""
    password_hash = hash_password(password)
    with uow:
        if not uow.accounts.set_password_hash(username, password_hash):
            raise AccountError(f"username: no person {username!r} (devices have no password)", field="username")
        uow.audit.record(actor=actor, action="user.password", target=username)
        uow.commit()


def disable_user(uow, username: str, *, actor: str) -> None:
    """Disable a user: its sessions and tokens stop working on the next request; audited."""
    with uow:
        if not uow.accounts.set_disabled(username, True):
            raise AccountError(f"username: no user {username!r}", field="username")
        uow.audit.record(actor=actor, action="user.disable", target=username)
        uow.commit()


def list_users(uow) -> list[dict[str, Any]]:
    """Every user, without password hashes, by name."""
    with uow:
        return uow.accounts.list_users()


def _user(uow, identity: q.Identity, via_token: bool) -> User:
    layers = uow.grants.live_layers(identity.department) if identity.department else frozenset()
    return User(identity.username, identity.role, identity.department, layers, identity.scopes, via_token)


def user_for_token(uow, token: str) -> User | None:
    """The user of a live API token, with its department's live grants, or None."""
    with uow:
        identity = uow.accounts.identity_for_token(hash_secret(token))
        return None if identity is None else _user(uow, identity, via_token=True)


def user_for_session(uow, session_id: str) -> User | None:
    """The user of a live password session, with its department's live grants, or None."""
    with uow:
        identity = uow.accounts.identity_for_session(hash_secret(session_id))
        return None if identity is None else _user(uow, identity, via_token=False)


def identify(uow, token: str | None, session_id: str | None) -> User | None:
    """The user of a bearer token (preferred) or a session id, or None: a request's identity."""
    if token:
        return user_for_token(uow, token)
    if session_id:
        return user_for_session(uow, session_id)
    return None


def token_from_authorization(header: str) -> tuple[str | None, str | None]:
    """The API token an ``Authorization`` header carries, and the user name it claims (Basic only).

    ``Bearer <token>``; or ``Basic base64(<user>:<token>)``, for clients that
    can only send Basic credentials (QGIS 3.22, which has no custom-header
    method): the password must be an API token of that user. A password is
    never accepted this way, so Basic cannot sidestep the lock-out.
    """
    import base64
    import binascii

    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None, None
    if header[:6].lower() == "basic ":
        try:
            user, sep, secret = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        if sep and user and secret.startswith(TOKEN_PREFIX):
            return secret, user
    return None, None


DEMO_USERS: dict[str, tuple[str, str | None]] = {
    "commander": ("commander", None),
    "event-manager": ("event_manager", None),
    "drainage-partner": ("partner", "DSD"),
    "admin": ("admin", None),
}
DEMO_GATEWAY = ("gateway-hkpf", "HKPF")
#: What the Drainage Services Department sees in the demo: water, not people.
DEMO_DSD_LAYERS = ("flood_alerts", "flood_states", "rainfall", "water_states")
#: The demo tokens' scopes per role: what that role's scripts would need.
TOKEN_SCOPES = {
    "commander": ["layers:read", "map:read", "patrol:read"],
    "event_manager": ["layers:read", "map:read"],
    "partner": ["layers:read"],
    "admin": ["layers:read", "audit:read", "metrics:read"],
    "device": ["detections:write"],
}


def demo_step(context, echo: Callable[[str], None]) -> None:
    """Create one demo user per role, a gateway token and the DSD grants.

    Idempotent: users are reset to fresh passwords and tokens each run, and
    ``<state_dir>/demo-credentials.json`` is rewritten with them.
    """

    credentials: dict[str, dict[str, str | None]] = {}
    uow = context.uow()
    with uow:
        for username, (role, department) in DEMO_USERS.items():
            password = secrets.token_urlsafe(12)
            user_id = uow.accounts.upsert_user(username, role, department, hash_password(password))
            uow.accounts.revoke_tokens_named(user_id, "demo")
            token = issue_token(uow, username, "demo", TOKEN_SCOPES[role], 90, actor="system:demo")
            credentials[username] = {"role": role, "password": password, "token": token}
        gateway, department = DEMO_GATEWAY
        user_id = uow.accounts.upsert_user(gateway, "device", department, None)
        uow.accounts.revoke_tokens_named(user_id, "demo")
        token = issue_token(uow, gateway, "demo", TOKEN_SCOPES["device"], 90, actor="system:demo")
        credentials[gateway] = {"role": "device", "password": None, "token": token}
        until = datetime.now(timezone.utc) + timedelta(days=365)
        for layer in DEMO_DSD_LAYERS:
            grants.grant_layer(uow, "DSD", layer, until, actor="system:demo", reason="demo data-sharing agreement")
        uow.commit()
    path = Path(context.settings.state_dir) / "demo-credentials.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(credentials, indent=2))
    path.chmod(0o600)
    echo(f"  {len(credentials)} demo accounts; credentials in {path}")
    echo(f"  DSD granted: {', '.join(DEMO_DSD_LAYERS)}")
