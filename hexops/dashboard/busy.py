"""A bound on the shared-layer queries one caller may have running at once.

Each web process serves a fixed number of requests at a time (gunicorn's
threads). An outside probe showed that one partner sending 16 heavy OGC API
queries at once took every thread, and everyone else's requests went from
0.02 s to several seconds. The statement timeout bounds each query; this
bounds how many one caller runs together: over the bound, the answer is 429
with ``Retry-After`` at once, instead of a thread held for seconds.

Counts are per web process (two processes: twice the bound in all), which is
enough to keep threads free for others; a reverse proxy limits volume.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from threading import Lock
from typing import Iterator

from flask import Flask, current_app

from hexops.errors import HexopsError

_EXTENSION = "hexops.shared_gate"


class Busy(HexopsError):
    """The caller already has its share of queries running (HTTP 429)."""

    status = 429


class CallerGate:
    """At most ``per_caller`` holders at once for each caller name (thread-safe)."""

    def __init__(self, per_caller: int):
        if per_caller < 1:
            raise ValueError("per_caller: at least 1")
        self.per_caller = per_caller
        self._running: Counter[str] = Counter()
        self._lock = Lock()

    @contextmanager
    def enter(self, caller: str) -> Iterator[None]:
        """Hold one of ``caller``'s places for the ``with`` block, or raise :class:`Busy`."""
        with self._lock:
            if self._running[caller] >= self.per_caller:
                raise Busy(f"{self.per_caller} of your queries are already running here; "
                           "retry when one has answered", field="concurrency")
            self._running[caller] += 1
        try:
            yield
        finally:
            with self._lock:
                self._running[caller] -= 1
                if not self._running[caller]:
                    del self._running[caller]


def install(server: Flask, per_caller: int) -> None:
    """Give the web app its gate (one per process)."""
    server.extensions[_EXTENSION] = CallerGate(per_caller)


def shared_gate() -> CallerGate:
    """The current app's gate for shared-layer queries."""
    return current_app.extensions[_EXTENSION]
