"""A worker keeps the alert machines warm, and the other workers leave them to it unless they are overdue."""

from __future__ import annotations

from types import SimpleNamespace

from hexops.jobs import runner
from hexops.jobs.registry import STICKY_GRACE_S, by_name


class Schedule:
    """``uow.jobs`` that records what a worker asked for and grants nothing."""

    def __init__(self):
        self.asked: list[tuple[set[str], float]] = []

    def claim_due(self, worker, names, overdue_s=0.0):
        self.asked.append((set(names), overdue_s))
        return None


class Uow:
    def __init__(self, jobs):
        self.jobs = jobs

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def _asks(memory) -> list[tuple[set[str], float]]:
    schedule = Schedule()
    context = SimpleNamespace(uow=lambda: Uow(schedule))
    assert runner.claim_and_run(context, "host:1", None, memory) is None
    return schedule.asked


def test_a_cold_worker_takes_the_alert_jobs_only_once_they_are_overdue():
    everything = set(by_name())
    sticky = {"crowd.step", "flood.step"}
    assert _asks({}) == [(everything - sticky, 0.0), (sticky, STICKY_GRACE_S)]


def test_the_worker_holding_a_machine_warm_takes_its_job_as_soon_as_it_is_due():
    warm = {"crowd.step": {"machine": SimpleNamespace(loaded_as=("t", "v"))}}
    assert _asks(warm) == [(set(by_name()) - {"flood.step"}, 0.0), ({"flood.step"}, STICKY_GRACE_S)]
