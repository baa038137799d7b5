"""One supervisor for the web server and the workers: started together, restarted, stopped together.

``hexops serve`` (and so ``make demo``) runs the dashboard's gunicorn and
one or more ``hexops worker`` processes as children of this supervisor.  A
child that exits is restarted after a back-off (1 s, doubling to 30 s, reset
after a minute of good running); SIGTERM or SIGINT stops every child
(SIGTERM, then SIGKILL after a grace period) and the supervisor exits.
"""

from __future__ import annotations

import logging
import signal
import subprocess
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
        child.process = subprocess.Popen(child.argv, env=child.env)
        child.started_at = time.monotonic()
        child.restart_at = None
        self.echo(f"supervisor: started {child.name} (pid {child.process.pid})")

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

    def run(self, poll_s: float = 0.5) -> int:
        """Run until SIGTERM/SIGINT; returns 0."""
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for child in self.children:
                self._start(child)
            while not self._stopping:
                self.poll()
                time.sleep(poll_s)
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _stop_all(self) -> None:
        running = [c for c in self.children if c.process is not None and c.process.poll() is None]
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
