"""Fakes for service tests that run without PostgreSQL.

:class:`FakeUnitOfWork` stands in for :class:`hexops.geodata.uow.UnitOfWork`:
it holds fake query modules as attributes (``uow.jobs``, ``uow.audit``, ...)
and counts commits.  A fake repository that keeps state records writes as
pending and keeps them only when the unit of work commits, like a real
transaction, so a test can tell what a service made durable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


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
