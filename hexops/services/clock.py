"""The product's one clock: read it, set a scenario clock for a demo or replay, pick a page's time.

Every page, job, export and API route asks :func:`current` (through
``AppContext.clock()``, which remembers it for a few seconds) rather than
the wall clock, so a demo replay shows one consistent time everywhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hexops.clock import WALL_CLOCK, Clock
from hexops.errors import InputError
from hexops.geodata.uow import UnitOfWork
from hexops.times import parse_instant

#: A replay cannot run faster than this many scenario seconds per second.
MAX_SPEED = 10_000.0


def current(uow: UnitOfWork) -> Clock:
    """The clock in force: the stored scenario clock, or wall-clock time when none is set."""
    with uow:
        row = uow.jobs.scenario_clock()
    if row is None:
        return WALL_CLOCK
    return Clock(anchor_wall=row["anchor_wall"], anchor_scenario=row["anchor_scenario"], speed=float(row["speed"]),
                 stop_at=row["stop_at"])


def set_scenario(uow: UnitOfWork, at: datetime, *, speed: float = 1.0, stop_at: datetime | None = None,
                 actor: str) -> Clock:
    """Start the scenario clock at ``at`` (UTC) running at ``speed``, held at ``stop_at``; audited.

    Raises
    ------
    InputError
        When ``speed`` is not in (0, :data:`MAX_SPEED`] or ``stop_at`` is before ``at``.
    """
    if not 0 < speed <= MAX_SPEED:
        raise InputError(f"speed: must be above 0 and at most {MAX_SPEED:g}, got {speed:g}", field="speed")
    if stop_at is not None and stop_at < at:
        raise InputError("stop_at: must not be before the start", field="stop_at")
    with uow:
        uow.jobs.set_scenario_clock(at, speed, stop_at)
        uow.audit.record(actor=actor, action="clock.set",
                         details={"at": at.isoformat(), "speed": speed,
                                  "stop_at": stop_at.isoformat() if stop_at else None})
        uow.commit()
    return current(uow)


def use_wall_clock(uow: UnitOfWork, *, actor: str) -> None:
    """Back to wall-clock time (production); audited."""
    with uow:
        uow.jobs.clear_scenario_clock()
        uow.audit.record(actor=actor, action="clock.set", details={"wall_clock": True})
        uow.commit()


def time_shown(now: datetime, replay_min: int | None, pinned: str | None) -> tuple[datetime, str]:
    """The time a live page shows, and how it was chosen.

    Parameters
    ----------
    now : datetime
        The clock's now (UTC).
    replay_min : int or None
        Minutes before now from the replay slider (negative); wins when set.
    pinned : str or None
        An ISO-8601 time with offset from an ``?at=`` link; capped at now
        (a page never shows the future).  A link that cannot be read is
        ignored (the page shows now and says so).

    Returns
    -------
    (datetime, str)
        The time and one of ``"live"``, ``"replay"``, ``"replay link"``.
    """
    if replay_min:
        return now + timedelta(minutes=int(replay_min)), "replay"
    if pinned:
        try:
            at = parse_instant(pinned, "at")
        except InputError:
            at = None
        if at is not None:
            return min(at, now), "replay link"
    return now, "live"
