"""The product's one clock: read it, set a scenario clock for a demo or replay, pick a page's time.

Every page, job, export and API route asks :func:`current` (through
``AppContext.clock()``, which remembers it for a few seconds) rather than
the wall clock, so a demo replay shows one consistent time everywhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

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


def describe(clock: Clock, tz) -> dict:
    """The clock as the header and ``GET /api/v1/clock`` show it.

    Returns ``now`` (ISO-8601 UTC), ``now_ms`` (Unix milliseconds), ``local``
    (``Thu 01 Oct 2026 19:23:05``, in ``tz``), ``zone`` (``HKT``), ``label`` (``live``, ``demo
    replay x10``...), ``speed`` (scenario seconds per wall second; 0 while the
    clock holds) and ``stop_ms`` (where it will hold, or None).
    """
    now = clock.now()
    held = clock.is_scenario and clock.stop_at is not None and now >= clock.stop_at
    return {
        "now": now.isoformat(), "now_ms": int(now.timestamp() * 1000),
        "local": now.astimezone(tz).strftime("%a %d %b %Y %H:%M:%S"), "zone": now.astimezone(tz).tzname(),
        "label": clock.label() + (" (held)" if held else ""), "scenario": clock.is_scenario,
        "speed": 0.0 if held else (clock.speed if clock.is_scenario else 1.0),
        "stop_ms": int(clock.stop_at.timestamp() * 1000) if clock.is_scenario and clock.stop_at else None,
    }


def pick_time(date_text: str | None, time_text: str | None, tz, now: datetime) -> datetime:
    """The instant a person picked with the date picker and the time field, in the city's time zone.

    Parameters
    ----------
    date_text : str
        ``YYYY-MM-DD`` (the date picker's value).
    time_text : str
        ``HH:MM`` (24-hour); empty means 00:00.
    tz : tzinfo
        The city's time zone.
    now : datetime
        The clock's now (UTC): a later time is refused (nothing is known about the future).

    Raises
    ------
    InputError
        Naming ``date`` or ``time``.
    """
    if not date_text:
        raise InputError("date: choose a date", field="date")
    try:
        day = datetime.strptime(str(date_text)[:10], "%Y-%m-%d").date()
    except ValueError:
        raise InputError(f"date: {date_text!r} is not a date (YYYY-MM-DD)", field="date") from None
    text = (time_text or "").strip() or "00:00"
    try:
        clock_time = datetime.strptime(text, "%H:%M").time()
    except ValueError:
        raise InputError(f"time: {text!r} is not a time of day (HH:MM, 24-hour)", field="time") from None
    at = datetime.combine(day, clock_time, tzinfo=tz)
    if at > now:
        raise InputError(f"time: {at:%Y-%m-%d %H:%M} is after the clock's now ({now.astimezone(tz):%Y-%m-%d %H:%M})",
                         field="time")
    return at.astimezone(timezone.utc)


def step_time(pinned: str | None, minutes: int, now: datetime) -> datetime | None:
    """The time shown after a step of ``minutes`` from ``pinned`` (or from now); None when it reaches now (live)."""
    base, _ = time_shown(now, None, pinned)
    moved = base + timedelta(minutes=int(minutes))
    return None if moved >= now else moved


def picker_bounds(uow: UnitOfWork, now: datetime, tz) -> tuple[str, str]:
    """First and last dates (``YYYY-MM-DD`` in ``tz``) a page's date picker offers: the data's start to now."""
    with uow:
        first = uow.crowd.detection_time_range()[0]
    start = min(first, now) if first is not None else now - timedelta(days=7)
    return start.astimezone(tz).date().isoformat(), now.astimezone(tz).date().isoformat()
