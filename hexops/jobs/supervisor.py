"""One supervisor for the web server and the workers: started together, restarted, stopped together.

``hexops serve`` runs the dashboard's gunicorn and one or more ``hexops
worker`` processes as children of this supervisor; ``make demo`` (``hexops
demo live``) adds the private nats-server, the demo's webhook receiver, an
ingest worker and the replay publisher.  Children start in the order given;
one that declares a readiness check (a port that must accept connections)
is waited for before the next starts.  A child that exits is restarted after
a back-off (1 s, doubling to 30 s, reset after a minute of good running);
SIGTERM or SIGINT (Ctrl-C) stops every child, last started first (SIGTERM,
then SIGKILL after a grace period), and the supervisor exits.

Children run in their own session, so a Ctrl-C at the terminal reaches only
the supervisor, which stops them in order; on Linux each child is also told
to stop (SIGTERM) if the supervisor itself dies.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

log = logging.getLogger("hexops.supervisor")

#: Restart back-off bounds (seconds) and how long a child must run for the back-off to reset.
BACKOFF_MIN_S, BACKOFF_MAX_S, HEALTHY_AFTER_S = 1.0, 30.0, 60.0
#: Seconds children get to exit after SIGTERM before SIGKILL.
STOP_GRACE_S = 10.0


@dataclass
class Child:
    """A supervised process.

    Attributes
    ----------
    name : str
        ``web``, ``worker-1``, ...
    argv : list of str
        The command.
    """

    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff_s: float = BACKOFF_MIN_S
    restart_at: float | None = None
    env: dict[str, str] | None = field(default=None, repr=False)
    #: Returns True once the child serves (checked after each start, before the next child starts).
    ready: Callable[[], bool] | None = field(default=None, repr=False)
    ready_timeout_s: float = 60.0


def port_open(port: int, host: str = "127.0.0.1") -> Callable[[], bool]:
    """A readiness check: something accepts TCP connections on ``host:port``."""
    def check() -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex((host, port)) == 0
    return check


_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6") if sys.platform == "linux" else None


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: ask the kernel for SIGTERM when
    # the supervisor dies (PR_SET_PDEATHSIG = 1), so no child outlives it.
    # libc is loaded beforehand: nothing here may take a lock another thread holds.
    _LIBC.prctl(1, signal.SIGTERM)


class StartError(RuntimeError):
    """A child did not become ready (or exited) while the group was starting."""


class Supervisor:
    """Start, watch and stop a group of :class:`Child` processes.

    Parameters
    ----------
    children : list of Child
    echo : callable
        Receives one line per start, exit and restart.
    """

    def __init__(self, children: list[Child], echo: Callable[[str], None] = print):
        self.children = children
        self.echo = echo
        self._stopping = False

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(child.argv, env=child.env, start_new_session=True,
                                         preexec_fn=_die_with_parent if _LIBC is not None else None)
        child.started_at = time.monotonic()
        child.restart_at = None
        self.echo(f"supervisor: started {child.name} (pid {child.process.pid})")

    def _wait_ready(self, child: Child) -> None:
        if child.ready is None:
            return
        deadline = time.monotonic() + child.ready_timeout_s
        while not child.ready():
            if child.process.poll() is not None:
                raise StartError(f"{child.name} exited with {child.process.returncode} while starting")
            if self._stopping:
                return
            if time.monotonic() > deadline:
                raise StartError(f"{child.name} was not ready within {child.ready_timeout_s:.0f} s")
            time.sleep(0.1)

    def stop(self, *_signal_args: object) -> None:
        """Ask every child to stop (the signal handler)."""
        self._stopping = True

    def poll(self) -> None:
        """One round: notice exits, schedule and perform restarts."""
        now = time.monotonic()
        for child in self.children:
            if child.process is not None and child.process.poll() is not None and child.restart_at is None:
                code = child.process.returncode
                if now - child.started_at > HEALTHY_AFTER_S:
                    child.backoff_s = BACKOFF_MIN_S
                child.restart_at = now + child.backoff_s
                self.echo(f"supervisor: {child.name} exited with {code}; restarting in {child.backoff_s:.0f} s")
                child.backoff_s = min(BACKOFF_MAX_S, child.backoff_s * 2)
            if child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self._start(child)

    def run(self, poll_s: float = 0.5, on_ready: Callable[[], None] | None = None) -> int:
        """Start the children in order, then watch them until SIGTERM/SIGINT.

        ``on_ready`` is called once every child has started (and the ready
        checks passed).  Returns 0, or 1 when a child could not be started
        (every child started so far is stopped again).
        """
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for child in self.children:
                if self._stopping:
                    return 0
                self._start(child)
                self._wait_ready(child)
            if on_ready is not None and not self._stopping:
                on_ready()
            while not self._stopping:
                self.poll()
                time.sleep(poll_s)
        except StartError as exc:
            self.echo(f"supervisor: {exc}; stopping")
            return 1
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _stop_all(self) -> None:
        # Last started first: the publisher before the ingest worker, the broker last.
        running = [c for c in reversed(self.children) if c.process is not None and c.process.poll() is None]
        for child in running:
            child.process.terminate()
        deadline = time.monotonic() + STOP_GRACE_S
        for child in running:
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
        self.echo("supervisor: every process stopped")
