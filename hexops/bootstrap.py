"""hexops composition root: settings, the database pool and the unit of work.

It is built once per process and handed to the dashboard, the CLI and the
worker; nothing else reads the environment or opens a pool.

- ``hexops ...`` and ``python -m hexops ...`` run the CLI (:mod:`hexops.cli`).
- ``gunicorn hexops.bootstrap:server`` serves the dashboard and API; ``server``
  is built on first access, so importing this module connects to nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

from hexops.clock import Clock
from hexops.geodata import audit
from hexops.geodata.cluster import PrivateCluster
from hexops.geodata.db import Database
from hexops.geodata.replicas import ReadRouter
from hexops.geodata.uow import UnitOfWork
from hexops.services import clock as clock_service
from hexops.services.cache import ReadCache
from hexops.settings import Settings


#: Seconds a process reuses the clock it read before asking the database again.
CLOCK_TTL_S = 2.0


@dataclass
class AppContext:
    """What the dashboard, API, CLI and worker are handed: settings, a database, units of work.

    The database pool opens on first use, never at construction, so that
    building the web app or parsing CLI arguments needs no server.
    """

    settings: Settings
    _database_url: str | None = None
    _owner_url: str | None = None
    _audit_key: bytes | None = None
    _db: Any = None
    _lock: Lock = field(default_factory=Lock)
    cache: ReadCache = field(default_factory=ReadCache)
    _clock: tuple[float, Clock] | None = None
    _reads: ReadRouter | None = None

    def _resolve_urls(self) -> None:
        if self._database_url is not None:
            return
        if self.settings.database_url:
            self._owner_url = self.settings.database_owner_url or self.settings.database_url
            self._database_url = self.settings.database_url
        else:
            cluster = PrivateCluster(self.settings.cluster_dir)
            self._owner_url = cluster.start()
            self._database_url = cluster.url(role="app")
        # Every path to the database passes here, so every audit entry this
        # process writes is sealed, whichever connection writes it.  (A process
        # serves one deployment; the first context's key stays the default,
        # and each context's pool binds its own key to its connections.)
        if not audit.has_default_seal_key():
            audit.use_seal_key(self.audit_key)

    def database_url(self) -> str:
        """The URL the application connects with (the app role), starting the private cluster if needed."""
        self._resolve_urls()
        return self._database_url

    def owner_database_url(self) -> str:
        """The URL of the schema's owner role, for migrations (``HEXOPS_DATABASE_OWNER_URL``)."""
        self._resolve_urls()
        return self._owner_url

    def migrate(self, progress=None) -> list:
        """Apply pending migrations as the owner, then grant the app role its rights.

        With a single URL (``HEXOPS_DATABASE_URL`` only) the app and the owner
        are one role and nothing is granted: least privilege then rests with
        the DBA (docs/security.md).
        """
        from hexops.geodata import migrate

        owner, app = self.owner_database_url(), self.database_url()
        app_role = migrate.role_of(app)
        if app_role == migrate.role_of(owner):
            app_role = None
        return migrate.apply_all(owner, progress=progress, app_role=app_role)

    def audit_key(self) -> bytes:
        """The audit sealing key (outside the database, with the vault keys)."""
        if self._audit_key is None:
            from hexops.vault.keys import load_audit_key

            self._audit_key = load_audit_key(self.settings)
        return self._audit_key

    @property
    def city(self):
        """The :class:`hexops.city.City` served."""
        return self.settings.city

    @property
    def db(self) -> Database:
        """The shared :class:`hexops.geodata.db.Database` pool (opened lazily, thread-safe)."""
        with self._lock:
            if self._db is None:
                # The key is read when a connection first writes an audit entry, not before.
                self._db = Database(self.database_url(), min_size=1, max_size=16,
                                    audit_key=self.audit_key).open()
            return self._db

    def uow(self) -> UnitOfWork:
        """A new unit of work on the pool, for one service call."""
        return UnitOfWork(lambda: self.db.connection())

    @property
    def reads(self) -> ReadRouter:
        """Where read-only work connects: the replica (``HEXOPS_REPLICA_URL``) if usable, else the primary."""
        primary = self.db
        with self._lock:
            if self._reads is None:
                self._reads = ReadRouter(primary, self.settings.replica_url,
                                         max_lag_s=self.settings.replica_max_lag_s)
            return self._reads

    def read_uow(self) -> UnitOfWork:
        """A read-only unit of work for a page's or API's reads (replica or primary; it cannot write)."""
        return UnitOfWork(self.reads.connection)

    def clock(self) -> Clock:
        """The product's one clock (scenario or wall), re-read from the database every few seconds."""
        cached = self._clock
        if cached is None or time.monotonic() - cached[0] > CLOCK_TTL_S:
            cached = self._clock = (time.monotonic(), clock_service.current(self.uow()))
        return cached[1]

    def close(self) -> None:
        if self._reads is not None:
            self._reads.close()
            self._reads = None
        if self._db is not None:
            self._db.close()
            self._db = None


def build_context(settings: Settings | None = None) -> AppContext:
    return AppContext(settings or Settings.from_env())


def create_server(context: AppContext | None = None):
    """Build the Flask server with the Dash app and the API mounted on it."""
    # Imported here, not at the top: Dash and every page cost ~2 s that the
    # command line (which imports this module) should not pay.
    from hexops.dashboard import create_app

    dash_app = create_app(context or build_context())
    return dash_app.server


_server = None
_server_lock = Lock()


def __getattr__(name: str):
    # ``app:server`` for gunicorn, built on first access rather than at import.
    global _server
    if name == "server":
        with _server_lock:
            if _server is None:
                _server = create_server()
        return _server
    raise AttributeError(name)
