"""The database handle: a psycopg connection pool built by the composition root.

Nothing here connects at import time; ``Database.open`` does, when app.py or
a test asks for it.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

import psycopg
from psycopg_pool import ConnectionPool

from hexops.geodata import audit


class Database:
    """A pool of connections to one PostGIS database.

    Parameters
    ----------
    url : str
        libpq connection URL.
    min_size, max_size : int
        Pool bounds.  The dashboard needs a few; ingestion workers one each.
    audit_key : bytes or callable, optional
        The audit sealing key (:mod:`geodata.audit`), or a function returning
        it (called on the first audit write), bound to every connection the
        pool opens.
    """

    def __init__(self, url: str, min_size: int = 1, max_size: int = 10,
                 audit_key: "bytes | Callable[[], bytes] | None" = None):
        self.url = url
        self._pool = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            kwargs={"autocommit": False},
            configure=(lambda conn: audit.bind_seal_key(conn, audit_key)) if audit_key else None,
            name="hexops",
        )

    def open(self, wait: bool = True, timeout: float = 30.0) -> "Database":
        self._pool.open(wait=wait, timeout=timeout)
        return self

    def close(self) -> None:
        self._pool.close()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection; the block is one transaction, committed on success."""
        with self._pool.connection() as conn:
            yield conn

    def __enter__(self) -> "Database":
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(url: str, **kwargs: object) -> psycopg.Connection:
    """One plain connection, for CLI jobs and migrations."""
    return psycopg.connect(url, **kwargs)
