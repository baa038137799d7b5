"""Reads from a PostgreSQL streaming replica, falling back to the primary.

The dashboard's reads (maps, pages, OGC API, tiles) can be served by a hot
standby while ingestion and the jobs write to the primary.  A
:class:`ReadRouter` hands out connections for read-only units of work:

- from the replica's pool when a replica is configured, reachable and no more
  than ``max_lag_s`` seconds behind;
- otherwise from the primary's pool, in a read-only transaction, so a read
  behaves the same wherever it runs.  A replica that failed is tried again
  after ``retry_s`` seconds.

Lag is measured on the replica itself: zero when it has replayed all it
received, else the age of the last transaction it replayed.  Nothing
connects at import time.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from hexops.geodata.db import Database

log = logging.getLogger(__name__)

_LAG_SQL = (
    "SELECT pg_is_in_recovery(), CASE WHEN NOT pg_is_in_recovery() THEN NULL "
    "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0.0 "
    "ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END"
)


def replica_lag_s(conn: psycopg.Connection) -> float | None:
    """Seconds the server behind ``conn`` lags its primary (0 when caught up); None on a primary."""
    in_recovery, lag = conn.execute(_LAG_SQL).fetchone()
    return None if not in_recovery else float(lag or 0.0)


@dataclass
class ReplicaStatus:
    """What the read router knows of its replica (for /readyz and the admin page).

    Attributes
    ----------
    configured : bool
        A replica URL is set.
    reachable : bool
        The last attempt to use or measure it succeeded.
    lag_s : float or None
        Its replay lag at the last measurement, seconds.
    serving : str
        Where reads go now: ``"replica"`` or ``"primary"``.
    detail : str
        Why reads go where they go.
    """

    configured: bool
    reachable: bool
    lag_s: float | None
    serving: str
    detail: str


class ReadRouter:
    """Connections for read-only units of work (see the module docstring).

    Parameters
    ----------
    primary : Database
        The application's pool on the primary.
    replica_url : str or None
        libpq URL of a streaming replica; None sends every read to the primary.
    max_lag_s : float
        A replica further behind than this is not read from.
    retry_s : float
        Seconds before a failed or lagging replica is tried again.
    lag_every_s : float
        Seconds a lag measurement is reused.
    """

    def __init__(self, primary: Database, replica_url: str | None, *, max_lag_s: float = 30.0,
                 retry_s: float = 10.0, lag_every_s: float = 2.0, pool_timeout_s: float = 1.0):
        self.primary = primary
        self.replica_url = replica_url
        self.max_lag_s = max_lag_s
        self.retry_s = retry_s
        self.lag_every_s = lag_every_s
        self.pool_timeout_s = pool_timeout_s
        self._pool: ConnectionPool | None = None
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._lag: tuple[float, float | None] | None = None
        self._detail = "no replica configured" if not replica_url else "not used yet"

    def _replica_pool(self) -> ConnectionPool:
        with self._lock:
            if self._pool is None:
                self._pool = ConnectionPool(self.replica_url, min_size=1, max_size=8, open=False,
                                            kwargs={"autocommit": False, "connect_timeout": 2},
                                            check=ConnectionPool.check_connection, name="hexops-replica")
                self._pool.open(wait=False)
            return self._pool

    def _mark_down(self, why: str) -> None:
        self._down_until = time.monotonic() + self.retry_s
        self._detail = why
        log.warning("read replica not used for %.0f s: %s", self.retry_s, why)

    def _measured_lag(self, conn: psycopg.Connection) -> float | None:
        now = time.monotonic()
        cached = self._lag
        if cached is None or now - cached[0] > self.lag_every_s:
            lag = replica_lag_s(conn)
            conn.rollback()
            cached = self._lag = (now, lag)
        return cached[1]

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A connection for one read-only unit of work (replica if usable, else primary)."""
        if self.replica_url and time.monotonic() >= self._down_until:
            held = None
            try:
                held = self._replica_pool().connection(timeout=self.pool_timeout_s)
                conn = held.__enter__()
                lag = self._measured_lag(conn)
            except (PoolTimeout, psycopg.OperationalError) as exc:
                if held is not None:
                    held.__exit__(type(exc), exc, exc.__traceback__)
                self._mark_down(f"unreachable: {exc}".strip())
            else:
                if lag is None or lag <= self.max_lag_s:
                    self._detail = "replica" if lag is not None else "the replica URL points at a primary"
                    try:
                        yield conn
                    except psycopg.OperationalError as exc:
                        # It died under this read: the next ones go to the primary.
                        self._mark_down(f"failed during a read: {exc}".strip())
                        raise
                    finally:
                        held.__exit__(None, None, None)
                    return
                held.__exit__(None, None, None)
                self._mark_down(f"{lag:.1f} s behind (more than {self.max_lag_s:g} s)")
        with self.primary.connection() as conn:
            conn.read_only = True
            try:
                yield conn
            finally:
                if not conn.closed:
                    conn.rollback()
                    conn.read_only = False

    def status(self) -> ReplicaStatus:
        """Where reads go, and the replica's lag (measured now if the last reading is stale)."""
        if not self.replica_url:
            return ReplicaStatus(False, False, None, "primary", self._detail)
        lag = None
        reachable = False
        try:
            with psycopg.connect(self.replica_url, connect_timeout=2) as conn:
                lag = replica_lag_s(conn)
                reachable = True
            self._lag = (time.monotonic(), lag)
        except psycopg.OperationalError as exc:
            self._detail = f"unreachable: {exc}".strip()
        serving = "replica" if (reachable and time.monotonic() >= self._down_until
                                and (lag is None or lag <= self.max_lag_s)) else "primary"
        return ReplicaStatus(True, reachable, lag, serving, self._detail)

    def readiness(self) -> dict:
        """The ``replica`` check of /readyz: ok when no replica is configured or it is up and caught up.

        Not critical: with the replica down or behind, reads go to the
        primary and every page still answers, so a load balancer should keep
        the process in service and an operator should be told.

        Returns
        -------
        dict
            ``ok``, ``critical`` (False), ``serving`` (replica or primary),
            ``lag_s`` (None when unknown), ``max_lag_s`` and ``detail``.
        """
        status = self.status()
        ok = (not status.configured) or (status.reachable and (status.lag_s or 0.0) <= self.max_lag_s)
        return {"ok": ok, "critical": False, "serving": status.serving, "lag_s": status.lag_s,
                "max_lag_s": self.max_lag_s, "detail": status.detail}

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
