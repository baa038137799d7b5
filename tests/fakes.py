"""Fakes for service tests that run without PostgreSQL.

:class:`FakeUnitOfWork` stands in for :class:`hexops.geodata.uow.UnitOfWork`:
it holds fake query modules as attributes (``uow.jobs``, ``uow.audit``,
``uow.accounts``, ...) and counts commits.  A fake repository that keeps state records writes as
pending and keeps them only when the unit of work commits, like a real
transaction, so a test can tell what a service made durable.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from hexops.geodata.accounts import Identity


class FakeRepository:
    """Base of transactional fakes: ``_stage`` writes, made durable by :meth:`commit`."""

    def __init__(self) -> None:
        self._pending: list[tuple[str, Any, Any]] = []

    def _stage(self, table: str, key: Any, value: Any) -> None:
        self._pending.append((table, key, value))

    def commit(self) -> None:
        for table, key, value in self._pending:
            getattr(self, table)[key] = value
        self._pending.clear()

    def rollback(self) -> None:
        self._pending.clear()


class FakeJobs(FakeRepository):
    """``uow.jobs`` for the stepping skeleton: cursors and step locks."""

    def __init__(self, cursors: dict[str, datetime] | None = None, held: set[str] | None = None):
        super().__init__()
        self.cursors_committed: dict[str, datetime] = dict(cursors or {})
        self.held = set(held or ())
        self.released: list[str] = []

    def try_step_lock(self, machine: str) -> bool:
        if machine in self.held:
            return False
        self.held.add(machine)
        return True

    def release_step_lock(self, machine: str) -> None:
        self.held.discard(machine)
        self.released.append(machine)

    def get_cursor(self, machine: str) -> datetime | None:
        return self.cursors_committed.get(machine)

    def set_cursor(self, machine: str, as_of: datetime) -> None:
        self._stage("cursors_committed", machine, as_of)


class FakeAudit(FakeRepository):
    """``uow.audit``: keeps the committed records."""

    def __init__(self) -> None:
        super().__init__()
        self.records: dict[int, dict] = {}

    def record(self, **entry: Any) -> None:
        self._stage("records", len(self.records) + len(self._pending), entry)

    def actions(self) -> list[str]:
        """The committed entries' actions, in order."""
        return [self.records[i]["action"] for i in sorted(self.records)]


class FakeGrants(FakeRepository):
    """``uow.grants``: live layers per department (read only)."""

    def __init__(self, layers: dict[str, set[str]] | None = None) -> None:
        super().__init__()
        self.layers = {k: frozenset(v) for k, v in (layers or {}).items()}

    def live_layers(self, department: str) -> frozenset[str]:
        return self.layers.get(department, frozenset())


class FakeAccounts(FakeRepository):
    """``uow.accounts``: users by name and sessions by hash; reads see committed rows only."""

    def __init__(self) -> None:
        super().__init__()
        self.users: dict[str, dict[str, Any]] = {}
        self.sessions: dict[bytes, dict[str, Any]] = {}

    def add_user(self, username: str, role: str, password_hash: str | None, department: str | None = None,
                 disabled: bool = False) -> int:
        """Seed a committed user (test set-up); returns its id."""
        user_id = len(self.users) + 1
        self.users[username] = {
            "user_id": user_id, "username": username, "role": role, "department_code": department,
            "password_hash": password_hash, "failed_logins": 0, "locked_until": None, "disabled": disabled}
        return user_id

    def _by_id(self, user_id: int) -> dict[str, Any]:
        return next(u for u in self.users.values() if u["user_id"] == user_id)

    def user_for_login(self, username: str) -> dict[str, Any] | None:
        row = self.users.get(username)
        return None if row is None else dict(row)

    def set_failed_logins(self, user_id: int, failed_logins: int, locked_until: datetime | None) -> None:
        row = self._by_id(user_id)
        self._stage("users", row["username"], {**row, "failed_logins": failed_logins, "locked_until": locked_until})

    def clear_failed_logins(self, user_id: int) -> None:
        self.set_failed_logins(user_id, 0, None)

    def insert_session(self, session_hash: bytes, user_id: int, lifetime_s: float) -> datetime:
        expires = datetime.now(timezone.utc) + timedelta(seconds=lifetime_s)
        self._stage("sessions", session_hash, {"user_id": user_id, "expires_at": expires, "revoked": False})
        return expires

    def identity_for_session(self, session_hash: bytes) -> Identity | None:
        session = self.sessions.get(session_hash)
        if session is None or session["revoked"] or session["expires_at"] <= datetime.now(timezone.utc):
            return None
        row = self._by_id(session["user_id"])
        if row["disabled"]:
            return None
        return Identity(row["user_id"], row["username"], row["role"], row["department_code"])


class FakeUnitOfWork:
    """A unit of work over fake repositories (see the module docstring)."""

    def __init__(self, **repositories: Any):
        self.repositories = repositories
        for name, repository in repositories.items():
            setattr(self, name, repository)
        self.commits = 0
        self.depth = 0

    def __enter__(self) -> "FakeUnitOfWork":
        self.depth += 1
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.depth -= 1
        if self.depth == 0:
            self.rollback()

    def commit(self) -> None:
        self.commits += 1
        for repository in self.repositories.values():
            if hasattr(repository, "commit"):
                repository.commit()

    def rollback(self) -> None:
        for repository in self.repositories.values():
            if hasattr(repository, "rollback"):
                repository.rollback()
