"""One stepping skeleton for the alert machines (crowd and flood).

A machine advances through the data in fixed 5-minute steps, in time
order, from where it last stopped (its cursor).  This module owns what the
machines share: the lock that keeps two workers off the same machine, the
cursor, the step loop, and the commit after every step, so that a worker
killed mid-run leaves the machine at the end of its last committed step and
the next run resumes exactly there.  A machine supplies only how to load its
state and how to take one step.

A worker may keep a machine between runs (a warm machine: at 60,000 cameras
loading costs several steps' time).  The skeleton then skips the load when
the machine was left loaded at the committed cursor and its inputs are
unchanged (``machine.version(uow)``, when it has one); a step that fails
leaves the machine marked unloaded, so its half-changed state is never used.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Protocol

from hexops.geodata.uow import UnitOfWork

STEP = timedelta(minutes=5)


class AlertMachine(Protocol):
    """What the skeleton needs of a machine.

    Attributes
    ----------
    name : str
        Its cursor and lock key (``'crowd'``, ``'flood'``).
    """

    name: str

    def first_time(self, uow: UnitOfWork) -> datetime | None:
        """Where a machine that never ran starts: the start of its data (UTC), or None without data."""

    def load(self, uow: UnitOfWork, cursor: datetime) -> None:
        """Load layout and state as they stood at ``cursor`` (the end of the last committed step)."""

    def step(self, uow: UnitOfWork, t: datetime) -> dict[str, int]:
        """Advance one step ending at ``t`` and write what changed; returns counts (raised, ...)."""

    # Optional: ``version(uow) -> Hashable``, what the loaded layout depends on (a reload when it changes).


@dataclass
class StepReport:
    """What one call of :func:`advance` did.

    Attributes
    ----------
    steps : int
        Steps taken (each committed on its own).
    counts : Counter
        The machine's counts summed over the steps.
    cursor : datetime or None
        The end of the last committed step (UTC).
    busy : bool
        True when another process held the machine and nothing was done.
    loaded : bool
        True when the machine was loaded from the database (not kept warm).
    """

    steps: int = 0
    counts: Counter = field(default_factory=Counter)
    cursor: datetime | None = None
    busy: bool = False
    loaded: bool = False

    def as_dict(self) -> dict[str, int]:
        """``{"steps": n, **counts}`` (the shape the CLI and job runs print)."""
        return {"steps": self.steps, **self.counts}


def advance(uow: UnitOfWork, machine: AlertMachine, until: datetime, *, start: datetime | None = None,
            max_steps: int | None = None, progress: Callable[[datetime], None] | None = None) -> StepReport:
    """Step ``machine`` from its cursor (or ``start``, or its first data) up to ``until``.

    Parameters
    ----------
    uow : UnitOfWork
        A fresh unit of work; each step is committed in it.
    until : datetime
        No step ends after this time (UTC): normally the clock's now, or the
        latest data.
    start : datetime, optional
        Where a machine with no cursor starts (default: its first data).
    max_steps : int, optional
        Stop after this many steps (a job bounds its run time with it; the
        next run carries on).
    progress : callable, optional
        Called with each step's end time.
    """
    report = StepReport()
    with uow:
        if not uow.jobs.try_step_lock(machine.name):
            # Another worker is advancing the same machine; it writes the same result.
            uow.rollback()
            report.busy = True
            return report
        try:
            cursor = uow.jobs.get_cursor(machine.name) or start or machine.first_time(uow)
            report.cursor = cursor
            if cursor is None or cursor + STEP > until:
                return report
            version = machine.version(uow) if hasattr(machine, "version") else None
            if getattr(machine, "loaded_as", None) != (cursor, version):
                machine.loaded_as = None
                machine.load(uow, cursor)
                report.loaded = True
            t = cursor + STEP
            while t <= until and (max_steps is None or report.steps < max_steps):
                machine.loaded_as = None  # until this step is committed, the state in memory is not the stored one
                report.counts.update(machine.step(uow, t))
                uow.jobs.set_cursor(machine.name, t)
                uow.commit()
                machine.loaded_as = (t, version)
                report.steps += 1
                report.cursor = t
                if progress is not None:
                    progress(t)
                t += STEP
            machine.loaded_as = (report.cursor, version)
        finally:
            uow.rollback()
            uow.jobs.release_step_lock(machine.name)
            uow.commit()
    return report
