"""The one clock of hexops: what time it is for every page, job, export and API.

In production this is wall-clock time.  In the demo (or a replay) it is a
scenario clock: a moment in the demo's data that advances at a chosen speed
from when the replay started, and stops at the scenario's end.  The clock is
stored in the database (``scenario_clock``) so the web server and every
worker read the same time; :func:`hexops.services.clock.current` builds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone


@dataclass(frozen=True)
class Clock:
    """A clock: ``now()`` in UTC.

    Attributes
    ----------
    anchor_wall : datetime or None
        Wall time (UTC) at which the scenario started; None for wall-clock time.
    anchor_scenario : datetime or None
        Scenario time at ``anchor_wall``.
    speed : float
        Scenario seconds per wall second (1 = real time).
    stop_at : datetime or None
        Scenario time the clock holds at (the end of the demo's data).
    """

    anchor_wall: datetime | None = None
    anchor_scenario: datetime | None = None
    speed: float = 1.0
    stop_at: datetime | None = None

    @property
    def is_scenario(self) -> bool:
        """True for a demo or replay clock, False for wall-clock time."""
        return self.anchor_scenario is not None

    def now(self, wall: datetime | None = None) -> datetime:
        """The current time (UTC); ``wall`` overrides the wall clock (for tests)."""
        wall = wall or datetime.now(timezone.utc)
        if self.anchor_scenario is None or self.anchor_wall is None:
            return wall
        at = self.anchor_scenario + timedelta(seconds=(wall - self.anchor_wall).total_seconds() * self.speed)
        if self.stop_at is not None and at > self.stop_at:
            return self.stop_at
        return max(at, self.anchor_scenario)

    def label(self) -> str:
        """How the header names this clock: "live", or the replay's speed."""
        if not self.is_scenario:
            return "live"
        return "demo replay" if self.speed == 1 else f"demo replay x{self.speed:g}"


WALL_CLOCK = Clock()
