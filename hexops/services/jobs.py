"""The background jobs as people see them: schedule, last outcome, freshness.

Read by ``hexops jobs status``, the admin page, ``/readyz`` and ``/metrics``.
A job is *stale* when its last success is older than two of its periods
(or it never succeeded in that long since it was registered): the worker is
down, stuck or failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hexops.errors import NotFoundError
from hexops.geodata.uow import UnitOfWork

#: Periods after which a job without a success is stale.
STALE_PERIODS = 2


@dataclass(frozen=True)
class JobState:
    """One job's schedule and last outcome (times UTC).

    Attributes
    ----------
    name : str
    period_s : float
        Seconds between runs.
    last_success, last_started, next_due : datetime or None
    last_duration_s : float or None
    consecutive_failures, total_failures : int
    last_error : str or None
    running_on : str or None
        The worker holding its lease now.
    age_s : float or None
        Seconds since the last success.
    stale : bool
        No success within :data:`STALE_PERIODS` periods.
    """

    name: str
    period_s: float
    last_success: datetime | None
    last_started: datetime | None
    next_due: datetime
    last_duration_s: float | None
    consecutive_failures: int
    total_failures: int
    last_error: str | None
    running_on: str | None
    age_s: float | None
    stale: bool


def status(uow: UnitOfWork) -> list[JobState]:
    """Every registered job's state, by name."""
    with uow:
        rows = uow.jobs.job_status()
    out = []
    for r in rows:
        now = r["now"]
        age = (now - r["last_success"]).total_seconds() if r["last_success"] else None
        limit = timedelta(seconds=STALE_PERIODS * r["period_s"])
        stale = (age is not None and age > limit.total_seconds()) or (
            age is None and (r["last_started"] is None or now - r["next_due"] > limit))
        running = r["lease_owner"] if r["lease_until"] is not None and r["lease_until"] > now else None
        out.append(JobState(r["name"], r["period_s"], r["last_success"], r["last_started"], r["next_due"],
                            r["last_duration_s"], r["consecutive_failures"], r["total_failures"], r["last_error"],
                            running, age, bool(stale and r["enabled"])))
    return out


def recent_runs(uow: UnitOfWork, limit: int = 50) -> list[dict]:
    """The latest runs of every job, newest first."""
    with uow:
        return uow.jobs.recent_runs(limit)


def make_due(uow: UnitOfWork, name: str) -> None:
    """Make a job due now (``hexops jobs run``)."""
    with uow:
        if not uow.jobs.make_due(name):
            raise NotFoundError(f"{name}: no such job (has a worker registered it yet?)", field="name")
        uow.commit()


def prune_runs(uow: UnitOfWork, keep_per_job: int = 500) -> int:
    """Delete all but the newest ``keep_per_job`` runs of each job; returns the rows deleted."""
    with uow:
        deleted = uow.jobs.prune_runs(keep_per_job)
        uow.commit()
    return deleted
