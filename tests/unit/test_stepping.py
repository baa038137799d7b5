"""The one stepping skeleton: a step per 5 minutes, each committed with its cursor, resumable, exclusive."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hexops.services import stepping
from tests.fakes import FakeJobs, FakeUnitOfWork

T0 = datetime(2026, 10, 1, 12, 0, tzinfo=timezone.utc)
STEP = stepping.STEP


class CountingMachine:
    """Raises one alert per step; can be told to fail at a given step end."""

    name = "crowd"

    def __init__(self, fail_at: datetime | None = None, first: datetime | None = T0):
        self.fail_at, self.first = fail_at, first
        self.loaded_at: datetime | None = None
        self.steps: list[datetime] = []

    def first_time(self, uow):
        return self.first

    def load(self, uow, cursor):
        self.loaded_at = cursor

    def step(self, uow, t):
        if t == self.fail_at:
            raise RuntimeError("worker killed mid-step")
        self.steps.append(t)
        return {"raised": 1}


def test_a_machine_that_never_ran_starts_at_its_first_data_and_commits_every_step():
    uow = FakeUnitOfWork(jobs=FakeJobs())
    report = stepping.advance(uow, CountingMachine(), T0 + 3 * STEP)
    assert report.as_dict() == {"steps": 3, "raised": 3}
    assert uow.jobs.cursors_committed == {"crowd": T0 + 3 * STEP}
    assert uow.commits >= 3 and uow.jobs.held == set()


def test_a_run_that_fails_mid_step_leaves_the_cursor_at_the_last_committed_step_and_the_next_resumes_there():
    jobs = FakeJobs()
    with pytest.raises(RuntimeError):
        stepping.advance(FakeUnitOfWork(jobs=jobs), CountingMachine(fail_at=T0 + 3 * STEP), T0 + 6 * STEP)
    assert jobs.cursors_committed == {"crowd": T0 + 2 * STEP}
    assert jobs.held == set(), "the lock is released even when a step fails"
    resumed = CountingMachine()
    report = stepping.advance(FakeUnitOfWork(jobs=jobs), resumed, T0 + 6 * STEP)
    assert resumed.loaded_at == T0 + 2 * STEP
    assert resumed.steps == [T0 + k * STEP for k in range(3, 7)] and report.steps == 4


def test_a_machine_another_worker_holds_is_left_alone():
    jobs = FakeJobs(held={"crowd"})
    machine = CountingMachine()
    report = stepping.advance(FakeUnitOfWork(jobs=jobs), machine, T0 + 6 * STEP)
    assert report.busy and report.steps == 0 and machine.steps == []
    assert jobs.cursors_committed == {}


def test_no_step_ends_after_until_and_max_steps_bounds_a_run():
    jobs = FakeJobs(cursors={"crowd": T0})
    assert stepping.advance(FakeUnitOfWork(jobs=jobs), CountingMachine(), T0 + STEP - timedelta(seconds=1)).steps == 0
    report = stepping.advance(FakeUnitOfWork(jobs=jobs), CountingMachine(), T0 + 10 * STEP, max_steps=4)
    assert report.steps == 4 and jobs.cursors_committed["crowd"] == T0 + 4 * STEP


def test_without_data_nothing_is_stepped():
    report = stepping.advance(FakeUnitOfWork(jobs=FakeJobs()), CountingMachine(first=None), T0)
    assert report.steps == 0 and report.cursor is None


class VersionedMachine(CountingMachine):
    """Counts its loads; its inputs' version can be changed by the test."""

    def __init__(self):
        super().__init__()
        self.loads = 0
        self.inputs = "v1"

    def version(self, uow):
        return self.inputs

    def load(self, uow, cursor):
        super().load(uow, cursor)
        self.loads += 1


def test_a_machine_kept_loaded_at_the_committed_cursor_is_not_loaded_again():
    jobs, machine = FakeJobs(), VersionedMachine()
    first = stepping.advance(FakeUnitOfWork(jobs=jobs), machine, T0 + 2 * STEP)
    second = stepping.advance(FakeUnitOfWork(jobs=jobs), machine, T0 + 4 * STEP)
    assert machine.loads == 1 and first.loaded and not second.loaded
    assert machine.steps == [T0 + k * STEP for k in range(1, 5)]


def test_a_kept_machine_reloads_when_another_worker_moved_the_cursor_or_its_inputs_changed():
    jobs, machine = FakeJobs(), VersionedMachine()
    stepping.advance(FakeUnitOfWork(jobs=jobs), machine, T0 + 2 * STEP)
    stepping.advance(FakeUnitOfWork(jobs=jobs), VersionedMachine(), T0 + 3 * STEP)  # another worker's step
    assert stepping.advance(FakeUnitOfWork(jobs=jobs), machine, T0 + 4 * STEP).loaded
    assert machine.loaded_at == T0 + 3 * STEP
    machine.inputs = "v2"  # a zone drawn, a camera added
    assert stepping.advance(FakeUnitOfWork(jobs=jobs), machine, T0 + 5 * STEP).loaded and machine.loads == 3


def test_a_kept_machine_whose_step_failed_is_loaded_again_from_the_committed_state():
    jobs, machine = FakeJobs(), VersionedMachine()
    machine.fail_at = T0 + 2 * STEP
    with pytest.raises(RuntimeError):
        stepping.advance(FakeUnitOfWork(jobs=jobs), machine, T0 + 3 * STEP)
    machine.fail_at = None
    assert stepping.advance(FakeUnitOfWork(jobs=jobs), machine, T0 + 3 * STEP).loaded
    assert machine.loaded_at == T0 + STEP and machine.loads == 2
