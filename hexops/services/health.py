"""Is hexops alive, ready and keeping up: readiness checks and the figures behind ``/metrics``.

Readiness is a list of named checks (:data:`READINESS_CHECKS`); each takes
the composition root's context and says ok or not, with a short reason
that is safe to show to anyone (no host names, no exception text).  To add
one (replica lag, say), append a :class:`ReadinessCheck`::

    READINESS_CHECKS.append(ReadinessCheck("replica", check_replica_lag, needs=("database",)))

A check whose ``needs`` failed is reported as skipped (not ready) rather
than run against a database that is not there.

:func:`snapshot` gathers what ``/metrics`` and the admin's System page show,
read from the database at the moment of asking, so every web process and
every worker tells the same story.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import psycopg

from hexops.services import jobs as jobs_service
from hexops.services import demo_live

#: Seconds a readiness check may take before it counts as failed.
CHECK_TIMEOUT_S = 2.0
#: Flood transitions that are alerts (as on the Drainage page); "watch" is news, not an alert.
FLOOD_ALERT_STATES = ("warning", "flooded")
#: Window of the alert and delivery counts, and of "recent" quarantine.
RECENT = timedelta(hours=24)


@dataclass(frozen=True)
class CheckResult:
    """One readiness check's outcome: ``name``, ``ok`` and a short, public ``detail``."""
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class ReadinessCheck:
    """A named readiness check.

    Attributes
    ----------
    name : str
    run : callable
        ``run(context) -> (ok, detail)``; may raise (counted as not ok).
    needs : tuple of str
        Checks that must pass first.
    applies : callable
        ``applies(settings) -> bool``: whether this deployment has the thing checked.
    """

    name: str
    run: Callable[[Any], tuple[bool, str]]
    needs: tuple[str, ...] = ()
    applies: Callable[[Any], bool] = field(default=lambda settings: True)


def check_database(context) -> tuple[bool, str]:
    # A fresh connection with a short timeout: the pool would wait far longer for a server that is gone.
    with psycopg.connect(context.database_url(), connect_timeout=int(CHECK_TIMEOUT_S),
                         options=f"-c statement_timeout={int(CHECK_TIMEOUT_S * 1000)}") as conn:
        return conn.execute("SELECT 1").fetchone()[0] == 1, "answers"


def check_broker(context) -> tuple[bool, str]:
    import nats

    servers = [s.strip() for s in context.settings.nats_url.split(",") if s.strip()]

    async def probe() -> None:
        nc = await nats.connect(servers=servers, connect_timeout=CHECK_TIMEOUT_S, allow_reconnect=False,
                                max_reconnect_attempts=0)
        try:
            await nc.jetstream(timeout=CHECK_TIMEOUT_S).account_info()
        finally:
            await nc.close()

    asyncio.run(asyncio.wait_for(probe(), CHECK_TIMEOUT_S * 2))
    return True, "JetStream answers"


def check_jobs(context) -> tuple[bool, str]:
    states = jobs_service.status(context.uow())
    stale = [s.name for s in states if s.stale]
    if stale:
        return False, f"stale (no success in {jobs_service.STALE_PERIODS} periods): {', '.join(stale)}"
    return True, f"{len(states)} jobs fresh"


READINESS_CHECKS: list[ReadinessCheck] = [
    ReadinessCheck("database", check_database),
    ReadinessCheck("broker", check_broker, applies=lambda settings: bool(settings.nats_url)),
    ReadinessCheck("jobs", check_jobs, needs=("database",)),
]


def readiness(context, checks: list[ReadinessCheck] | None = None) -> list[CheckResult]:
    """Run the checks that apply, in order; a failing check never raises out of here."""
    results: dict[str, CheckResult] = {}
    for check in checks if checks is not None else READINESS_CHECKS:
        if not check.applies(context.settings):
            continue
        failed = [n for n in check.needs if n in results and not results[n].ok]
        if failed:
            results[check.name] = CheckResult(check.name, False, f"skipped: {', '.join(failed)} not ready")
            continue
        try:
            ok, detail = check.run(context)
        except Exception as exc:  # a check that cannot run means not ready; the reason stays terse
            ok, detail = False, f"unreachable ({type(exc).__name__})"
        results[check.name] = CheckResult(check.name, bool(ok), detail)
    return list(results.values())


@dataclass
class Snapshot:
    """What hexops is doing, read at one moment (times UTC).

    Attributes
    ----------
    now : datetime
        The product clock's now.
    clock_label : str
        ``live`` or ``demo replay xN``.
    jobs : list of JobState
    ingest : dict
        ``camera_minutes_5min`` (camera-minutes with detections in the last 5
        minutes of the clock: a camera reporting throughout counts 5), ``cameras_5min``,
        ``data_end``, ``lag_s`` (now minus the end of the latest detections),
        ``quarantined_24h``, ``quarantined_retained``.
    crowd_alerts, flood_alerts : dict
        Alerts raised in the last 24 h of the clock, by state.
    flood_hexes : dict
        Watched hexes by current flood state.
    webhooks : dict
        Deliveries created in the last 24 h by status, and attempts.
    cursors : dict
        Each alert machine's lag behind now, in seconds.
    """

    now: datetime
    clock_label: str
    jobs: list
    ingest: dict[str, Any]
    crowd_alerts: dict[str, int]
    flood_alerts: dict[str, int]
    flood_hexes: dict[str, int]
    webhooks: dict[str, int]
    cursors: dict[str, float]


def snapshot(uow, clock) -> Snapshot:
    """Every figure of :class:`Snapshot`, from the database, on ``clock`` (a :class:`hexops.clock.Clock`)."""
    now = clock.now()
    wall = datetime.now(timezone.utc)
    states = jobs_service.status(uow)
    with uow:
        ingest = uow.metrics.ingest_window(now, timedelta(minutes=5))
        quarantine = uow.metrics.quarantine_counts(wall - RECENT)
        crowd_alerts = uow.metrics.crowd_alert_states(now - RECENT, now)
        flood_alerts = uow.metrics.flood_alert_states(now - RECENT, now, FLOOD_ALERT_STATES)
        flood_hexes = uow.metrics.flood_hex_states()
        webhooks = uow.metrics.webhook_outcomes(wall - RECENT)
        cursors = uow.jobs.cursors()
    data_end = ingest["data_end"]
    return Snapshot(
        now=now, clock_label=clock.label(), jobs=states,
        ingest={"camera_minutes_5min": ingest["camera_minutes"], "cameras_5min": ingest["cameras"], "data_end": data_end,
                "lag_s": (now - data_end).total_seconds() if data_end else None,
                "quarantined_24h": quarantine["recent"], "quarantined_retained": quarantine["retained"]},
        crowd_alerts=crowd_alerts, flood_alerts=flood_alerts, flood_hexes=flood_hexes, webhooks=webhooks,
        cursors={machine: (now - at).total_seconds() for machine, at in cursors.items()},
    )


@dataclass
class SystemView:
    """The admin's System page: readiness, the snapshot, recent job runs and the demo replay's receipts.

    Attributes
    ----------
    checks : list of CheckResult
    snapshot : Snapshot
    runs : list of dict
        The latest job runs, newest first.
    replay : dict or None
        The latest demo replay with how far its publisher got.
    receipts : list of dict
        What the demo receiver got in that replay, newest first, with ``delay_s``.
    """

    checks: list[CheckResult]
    snapshot: Snapshot
    runs: list[dict]
    replay: dict | None
    receipts: list[dict]


def system_view(context, runs: int = 30, receipts: int = 30) -> SystemView:
    """Everything the System page shows, read now."""
    checks = readiness(context)
    snap = snapshot(context.uow(), context.clock())
    recent = jobs_service.recent_runs(context.uow(), runs)
    replay = demo_live.replay(context.uow())
    got = demo_live.receipts(context.uow(), replay["replay_id"], receipts) if replay else []
    return SystemView(checks, snap, recent, replay, got)
