"""The read caches one process keeps, owned by the composition root and bounded.

Two kinds of things are worth remembering between page refreshes:

- facts that change rarely and may be a little stale (the latest data time,
  a cell set's version, district outlines): kept for ``ttl_s`` seconds;
- documents built from a versioned input (a resolution's hex geometry for
  one cell-set version, fields of view for one registry version): kept until
  pushed out by newer ones, since the version in the key already says when
  they are stale.

Both are bounded (least recently used entries go first) and safe to share
between a server's threads.  Keys are tuples whose first item names what is
cached.
"""

from __future__ import annotations

from threading import Lock
from typing import Any, Callable, Hashable

from cachetools import LRUCache, TTLCache


class ReadCache:
    """A process's bounded read caches (see the module docstring).

    Parameters
    ----------
    ttl_s : float
        How long a fact is reused, in seconds.
    max_facts, max_documents : int
        Entries kept in each cache.
    """

    def __init__(self, ttl_s: float = 60.0, max_facts: int = 1024, max_documents: int = 64):
        self._facts: TTLCache = TTLCache(maxsize=max_facts, ttl=ttl_s)
        self._documents: LRUCache = LRUCache(maxsize=max_documents)
        self._lock = Lock()

    def fact(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The value under ``key`` if younger than the TTL, else ``build()`` (remembered)."""
        return self._get(self._facts, key, build)

    def document(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The document under a versioned ``key``, else ``build()`` (remembered until evicted)."""
        return self._get(self._documents, key, build)

    def clear(self) -> None:
        """Forget everything (after a reload of the city, and between tests)."""
        with self._lock:
            self._facts.clear()
            self._documents.clear()

    def _get(self, cache, key: Hashable, build: Callable[[], Any]) -> Any:
        with self._lock:
            if key in cache:
                return cache[key]
        # Built outside the lock: two threads may both build once; both results are equal.
        value = build()
        with self._lock:
            cache[key] = value
        return value


#: For callers without an application context (scripts, tests): remembers nothing.
class NoCache(ReadCache):
    """A :class:`ReadCache` that always builds."""

    def _get(self, cache, key: Hashable, build: Callable[[], Any]) -> Any:
        return build()
