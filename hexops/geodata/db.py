"""The database handle: a psycopg connection pool built by the composition root.

Nothing here connects at import time; ``Database.open`` does, when app.py or
a test asks for it.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import psycopg
from psycopg_pool import ConnectionPool


class Database:
    """A pool of connections to one PostGIS database.

    Parameters
    ----------
    url : str
        libpq connection URL.
    min_size, max_size : int
        Pool bounds.  The dashboard needs a few; ingestion workers one each.
    """

    def __init__(self, url: str, min_size: int = 1, max_size: int = 10):
        self.url = url
        self._pool = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            kwargs={"autocommit": False},
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
