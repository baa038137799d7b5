"""The background jobs hexops runs unattended: what each does and how often.

A job is a function ``run(context, clock_now, memory) -> dict`` over the
composition root's :class:`hexops.bootstrap.AppContext`; it calls services,
each of which owns its transactions.  ``memory`` is a dict the worker
process keeps for the job between runs: the alert jobs keep their machines
there, loaded (at 60,000 cameras a load costs several steps), and such
*sticky* jobs are left to the worker that holds them warm unless they are
overdue (:data:`STICKY_GRACE_S`).  Every job is idempotent (running it
twice, or after a crash, gives the same result): the alert machines step
from their committed cursors, deliveries are claimed one by one, forecasts
and retention work from the clock's now.

The registry below is the single list: the worker, the schedule table, the
admin page and ``/metrics`` all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from hexops.services import audit_chain, crowd, forecast_schedule, partitions, stepping, webhooks
from hexops.services.crowd_alerts import CrowdMachine
from hexops.services.flood import FloodMachine
from hexops.services import jobs
from hexops.services import vault
from hexops.vault.keys import load_signing_key

#: Data time a step waits after its window ends before it runs, so the
#: window's last minute is in (ingestion's p95 freshness is a few seconds).
STEP_SETTLE = timedelta(seconds=20)
#: The same wait in wall seconds, for a scenario clock running faster than
#: real time (at x10, 20 scenario seconds would be only 2 wall seconds of ingestion).
STEP_SETTLE_WALL_S = 3.0
#: Steps one run takes at most (2 hours of data); a backlog is worked off run by run.
MAX_STEPS_PER_RUN = 24
#: Seconds a sticky job must be overdue before a worker that does not hold it warm takes it.
STICKY_GRACE_S = 2.0


@dataclass(frozen=True)
class Job:
    """One background job.

    Attributes
    ----------
    name : str
        Its key in the schedule (``crowd.step``).
    period_s : float
        Seconds between runs (wall time).
    timeout_s : float
        Seconds after which a run's lease expires and another worker may run it.
    run : callable
        ``run(context, now, memory) -> dict`` with ``now`` the product clock's
        time (UTC) and ``memory`` the worker's dict for this job.
    description : str
        One line for the admin page.
    sticky : bool
        The job keeps costly state in ``memory``: prefer the worker that has it.
    """

    name: str
    period_s: float
    timeout_s: float
    run: Callable[[Any, datetime, dict], dict]
    description: str
    sticky: bool = False


def settle(speed: float) -> timedelta:
    """How long after a window ends (in the clock's time) a step waits for its detections."""
    return max(STEP_SETTLE, timedelta(seconds=STEP_SETTLE_WALL_S * speed))


def _step_until(context, now: datetime) -> datetime | None:
    """How far the alert machines may step: the settled clock, never past the detections ingested.

    Only detections count as the data's end: rain readings may be known
    ahead (a forecast feed, or the demo's reference data), and a step taken
    before its window's detections are in could not be taken again.
    """
    latest = crowd.latest_data_time(context.uow())
    if latest is None:
        return None
    return min(now - settle(context.clock().speed), latest)


def _step(machine, context, now: datetime) -> dict:
    until = _step_until(context, now)
    if until is None:
        return {"steps": 0, "note": "no data"}
    report = stepping.advance(context.uow(), machine, until, max_steps=MAX_STEPS_PER_RUN)
    return report.as_dict() | {"busy": report.busy, "loaded": report.loaded}


def step_crowd(context, now: datetime, memory: dict) -> dict:
    if "machine" not in memory:
        configured = crowd.alert_settings(context.settings)
        memory["machine"] = CrowdMachine(configured.thresholds, configured.config)
    return _step(memory["machine"], context, now)


def step_floods(context, now: datetime, memory: dict) -> dict:
    return _step(memory.setdefault("machine", FloodMachine()), context, now)


def deliver_webhooks(context, now: datetime, memory: dict) -> dict:
    report = webhooks.deliver_pending(context.uow)
    return {"delivered": report.delivered, "retried": report.retried, "failed": report.failed}


def maintain_partitions(context, now: datetime, memory: dict) -> dict:
    return partitions.maintain(context.uow(), now)


def checkpoint_audit(context, now: datetime, memory: dict) -> dict:
    """Anchor the audit log's head outside the database (docs/security.md): the tail a superuser
    could cut unnoticed is only what was written since the last run."""
    entry = audit_chain.checkpoint(context.uow(), context.audit_key(), audit_chain.checkpoint_file(context.settings),
                                   actor="system:audit-checkpoint")
    return {"seq": entry.seq if entry else None}


def make_forecasts(context, now: datetime, memory: dict) -> dict:
    return forecast_schedule.ensure_current(context.uow(), now)


def vault_retention(context, now: datetime, memory: dict) -> dict:
    result = vault.run_retention(context.uow(), vault.open_vault(context.settings), load_signing_key(context.settings),
                                 now=now)
    return {"keys_destroyed": result.keys_destroyed, "clips_deleted": result.clips_deleted,
            "files_missing": result.files_missing}


def prune_runs(context, now: datetime, memory: dict) -> dict:
    return {"deleted": jobs.prune_runs(context.uow())}


JOBS: tuple[Job, ...] = (
    Job("crowd.step", 10.0, 120.0, step_crowd,
        "Steps the crowd alert machine to the clock's now (raises and clears zone and hex alerts).", sticky=True),
    Job("flood.step", 10.0, 120.0, step_floods,
        "Steps every hex's flood machine, re-plans crews and queues partners' flood alerts.", sticky=True),
    Job("webhooks.deliver", 5.0, 60.0, deliver_webhooks,
        "Sends queued flood alerts to partners' endpoints, retrying failures with back-off."),
    Job("partitions.maintain", 3600.0, 600.0, maintain_partitions,
        "Creates the coming days' partitions and drops the days past each table's retention."),
    Job("audit.checkpoint", 60.0, 60.0, checkpoint_audit,
        "Appends the audit log's head, sealed, to the checkpoint file outside the database."),
    Job("risk.forecast", 300.0, 900.0, make_forecasts,
        "Makes the crime-risk forecasts of the clock's current shift, day and week (and each type's next day)."),
    Job("vault.retention", 3600.0, 1800.0, vault_retention,
        "Shreds the keys of clips past their retention (clips under an evidence hold are kept)."),
    Job("jobs.prune", 3600.0, 300.0, prune_runs,
        "Keeps the newest 500 runs of each job in the run log."),
)


def by_name() -> dict[str, Job]:
    """Every registered job by name."""
    return {job.name: job for job in JOBS}


def register(uow) -> None:
    """Make the schedule table list every job with its period (new jobs are due at once)."""
    with uow:
        for job in JOBS:
            uow.jobs.ensure_job(job.name, job.period_s, job.timeout_s)
        uow.commit()
