"""The unit of work: one transaction, opened and committed by the service that uses it.

The composition root builds a :class:`UnitOfWork` factory over the database
pool and hands it to the dashboard, the CLI and the worker; they pass a
fresh unit of work to one service call.  The service decides where the
transaction ends::

    def revoke_grant(uow, grant_id, *, actor):
        with uow:
            uow.grants.close_grant(grant_id)
            uow.audit.record(actor=actor, action="grant.change", target=str(grant_id))
            uow.commit()

Anything not committed when the outermost ``with`` block ends is rolled
back, so a service that raises half-way leaves nothing half-written; a
service that must keep a record of a failure (a failed login, a refused
vault read) commits that record before it raises.

Query modules of :mod:`hexops.geodata` are reached as attributes
(``uow.audit.record(...)`` calls ``hexops.geodata.audit.record(conn, ...)``),
which is what lets :class:`tests.fakes.FakeUnitOfWork` stand in for
PostgreSQL in service tests.  The connection itself is ``uow.conn`` for code
that still passes it explicitly (ingest, the vault store).
"""

from __future__ import annotations

import functools
import importlib
import inspect
from contextlib import AbstractContextManager
from types import ModuleType
from typing import Any, Callable

import psycopg

#: The query modules a unit of work exposes as attributes: each one's
#: functions take the connection as their first argument.
QUERY_MODULES: tuple[str, ...] = (
    "accounts", "audit", "crowd", "detections", "flood", "grants", "heatmap", "incidents", "jobs",
    "rainfall", "reference", "risk", "sharing", "storage", "vault", "webhooks", "cors_origins",
    # Issue 13: the live demo, the places that name alerts, the figures behind /metrics.
    "demo", "alert_handling", "metrics",
    # Issue 14: named places, camera location names, the basemap's land.
    "gazetteer",
)


class BoundQueries:
    """A query module with the unit of work's connection bound as each function's first argument."""

    def __init__(self, module: ModuleType, conn: psycopg.Connection):
        self._module = module
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if inspect.isfunction(value):
            return functools.partial(value, self._conn)
        return value


class UnitOfWork(AbstractContextManager):
    """One transaction on a pooled connection.

    Parameters
    ----------
    connection_factory : callable
        Returns a context manager yielding a psycopg connection (a pool's
        ``connection``); called once, when the outermost ``with`` starts.

    Notes
    -----
    Re-entrant: a service that calls another service with the same unit of
    work shares its transaction; only the outermost block takes and returns
    the connection.
    """

    def __init__(self, connection_factory: Callable[[], AbstractContextManager[psycopg.Connection]]):
        self._factory = connection_factory
        self._held: AbstractContextManager[psycopg.Connection] | None = None
        self._conn: psycopg.Connection | None = None
        self._depth = 0
        self._queries: dict[str, BoundQueries] = {}

    @classmethod
    def for_url(cls, url: str) -> "UnitOfWork":
        """A unit of work on its own connection to ``url`` (scripts, benchmarks, tests)."""
        return cls(lambda: psycopg.connect(url))

    def __enter__(self) -> "UnitOfWork":
        if self._depth == 0:
            self._held = self._factory()
            self._conn = self._held.__enter__()
        self._depth += 1
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._depth -= 1
        if self._depth > 0:
            return None
        conn, held = self._conn, self._held
        self._conn, self._held, self._queries = None, None, {}
        try:
            if conn is not None and not conn.closed:
                # Whatever the service did not commit is not kept.
                conn.rollback()
        finally:
            if held is not None:
                held.__exit__(None, None, None)
        return None

    @property
    def conn(self) -> psycopg.Connection:
        """The transaction's connection (only inside ``with uow:``)."""
        if self._conn is None:
            raise RuntimeError("the unit of work is not open: use it as 'with uow:'")
        return self._conn

    def commit(self) -> None:
        """Make everything written so far in this unit of work permanent."""
        self.conn.commit()

    def rollback(self) -> None:
        """Discard everything written since the last commit."""
        self.conn.rollback()

    def __getattr__(self, name: str) -> BoundQueries:
        if name in QUERY_MODULES:
            bound = self._queries.get(name)
            if bound is None:
                module = importlib.import_module(f"hexops.geodata.{name}")
                bound = self._queries[name] = BoundQueries(module, self.conn)
            return bound
        raise AttributeError(name)
