"""Claiming, running and recording one job run; the worker loop around it.

The schedule lives in PostgreSQL (``jobs``): a worker leases a due job with
``FOR UPDATE SKIP LOCKED``, so any number of workers on any number of hosts
share the jobs without running the same one twice; the lease expires after
the job's timeout, so a killed worker's job is picked up again.  Each run is
recorded (``job_runs``: due, start, end, lag, outcome); a failure is retried
with exponential back-off capped at the job's period.

A worker keeps each job's ``memory`` between runs.  A *sticky* job (the
alert machines, kept loaded there) is claimed first by the worker that holds
it warm; another worker takes it only once it is
:data:`~hexops.jobs.registry.STICKY_GRACE_S` seconds overdue, so two workers
do not reload the same machine turn about.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any

from hexops.jobs.registry import STICKY_GRACE_S, by_name, register

log = logging.getLogger("hexops.jobs")

#: First retry after a failure, in seconds; doubled per consecutive failure.
RETRY_BASE_S = 5.0
#: How long an idle worker sleeps before looking for due jobs again, in seconds.
IDLE_SLEEP_S = 1.0


def worker_id() -> str:
    """``host:pid``: who holds a lease (shown on the admin page)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_dead_leases(context) -> list[str]:
    """Release leases held by worker processes of this host that no longer exist.

    A killed worker's lease would otherwise block its job until the lease
    times out; on the same host we can tell at once that its process is gone.
    Returns the jobs released.
    """
    host = socket.gethostname() + ":"
    released = []
    with context.uow() as uow:
        for job, owner in uow.jobs.live_leases(host):
            pid = owner[len(host):]
            if pid.isdigit() and not _pid_alive(int(pid)) and uow.jobs.release_lease(job, owner):
                released.append(job)
                log.warning("job %s: released the lease of dead worker %s", job, owner)
        uow.commit()
    return released


def retry_after(period_s: float, consecutive_failures: int) -> float:
    """Seconds before a failed job runs again: 5, 10, 20, ... capped at its period (at least 5 s)."""
    return min(max(period_s, RETRY_BASE_S), RETRY_BASE_S * 2 ** consecutive_failures)


@dataclass(frozen=True)
class RunOutcome:
    """What :func:`run_one` did: the job, whether it succeeded, its detail or error, seconds taken."""

    job: str
    ok: bool
    detail: dict[str, Any]
    error: str | None
    seconds: float


def run_one(context, worker: str, names: list[str] | None = None, memory: dict[str, dict] | None = None,
            overdue_s: float = 0.0) -> RunOutcome | None:
    """Lease one due job (of ``names``, due ``overdue_s`` ago), run it and record the outcome;
    None when nothing is due.

    ``memory`` is the worker's memory of every job (a fresh one by default).
    The lease and the run record are committed before the job starts, so a
    worker killed mid-run leaves a ``running`` record whose lease expires.
    """
    jobs = by_name()
    memory = {} if memory is None else memory
    with context.uow() as uow:
        claimed = uow.jobs.claim_due(worker, names, overdue_s)
        if claimed is None:
            return None
        run_id = uow.jobs.start_run(claimed["name"], worker, claimed["due_at"], claimed["started_at"])
        uow.commit()
    job = jobs.get(claimed["name"])
    started = time.monotonic()
    detail: dict[str, Any] = {}
    error = None
    try:
        if job is None:
            raise LookupError(f"job {claimed['name']!r} is scheduled but not registered in this version")
        detail = job.run(context, context.clock().now(), memory.setdefault(job.name, {})) or {}
    except Exception as exc:  # a job's failure is recorded and retried, never fatal to the worker
        error = f"{type(exc).__name__}: {exc}"
        log.error("job %s failed: %s\n%s", claimed["name"], error, traceback.format_exc())
    retry = None if error is None else retry_after(claimed["period_s"], claimed["consecutive_failures"])
    with context.uow() as uow:
        uow.jobs.finish_run(run_id, claimed["name"], worker, ok=error is None, detail=detail, error=error,
                            retry_after_s=retry)
        uow.commit()
    return RunOutcome(claimed["name"], error is None, detail, error, time.monotonic() - started)


def _did_something(detail: dict[str, Any]) -> bool:
    """Whether a run's detail counts anything (a step taken, an alert raised, a delivery made)."""
    return any(isinstance(v, (int, float)) and not isinstance(v, bool) and v for v in detail.values())


def _warm(memory: dict[str, dict], name: str) -> bool:
    machine = memory.get(name, {}).get("machine")
    return getattr(machine, "loaded_as", None) is not None


def claim_and_run(context, worker: str, names: list[str] | None, memory: dict[str, dict]) -> RunOutcome | None:
    """One look at the schedule: any due job but sticky ones held warm elsewhere, then those once overdue."""
    jobs = by_name()
    wanted = list(names or jobs)
    cold = [n for n in wanted if n in jobs and jobs[n].sticky and not _warm(memory, n)]
    outcome = run_one(context, worker, [n for n in wanted if n not in cold], memory)
    if outcome is None and cold:
        outcome = run_one(context, worker, cold, memory, overdue_s=STICKY_GRACE_S)
    return outcome


def work(context, stop: threading.Event, *, names: list[str] | None = None, worker: str | None = None,
         idle_sleep_s: float = IDLE_SLEEP_S) -> int:
    """Run due jobs until ``stop`` is set; returns the number of runs.

    Registers every job first (so a new job in this version is scheduled).
    A database outage is logged and waited out, never fatal.
    """
    worker = worker or worker_id()
    register(context.uow())
    memory: dict[str, dict] = {}
    runs = 0
    while not stop.is_set():
        try:
            reap_dead_leases(context)
            outcome = claim_and_run(context, worker, names, memory)
        except Exception as exc:  # the database is down or restarting: wait and try again
            log.warning("worker %s: cannot reach the schedule (%s); retrying", worker, exc)
            stop.wait(min(30.0, idle_sleep_s * 5))
            continue
        if outcome is None:
            stop.wait(idle_sleep_s)
            continue
        runs += 1
        # A run that found nothing to do is not news; failures and runs that did something are.
        level = logging.INFO if not outcome.ok or _did_something(outcome.detail) else logging.DEBUG
        log.log(level, "job %s %s in %.2f s %s", outcome.job, "ok" if outcome.ok else "FAILED", outcome.seconds,
                outcome.detail if outcome.ok else outcome.error)
    return runs
