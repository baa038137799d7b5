"""The live demo: the demo city's detection stream replayed from any moment of the scenario.

``hexops demo live --from T --speed S`` (and ``make demo``) goes through these steps:

1. :func:`plan_replay` checks the request; the replay starts at the 5-minute
   window boundary at or before ``T`` (:attr:`ReplayPlan.cut`).
2. :func:`rewind` makes the database look as it did at the cut: detections
   from the cut on are deleted (the stream brings them again), the alert
   machines restart from the start of the history, and earlier replays'
   receiver endpoints are retired.
3. :func:`load_history` loads the demo city and the detections of the
   history before the cut (skipping what is already there); the ordinary
   demo steps then step the alert machines over that history.
4. :func:`start_replay` registers the demo's webhook receiver as the Drainage
   department's endpoint, records the replay and starts the scenario clock
   at ``T`` running ``S`` times real time.
5. Under the supervisor: :func:`run_publisher` publishes each 5-minute window
   of simulated detections on NATS JetStream when the clock passes its end;
   the ingest worker ingests them; the job workers step the alert machines
   and deliver flood alerts to the receiver, whose :func:`receive` checks
   the HMAC signature and records what it got (the admin's System page
   shows it).

Times are UTC inside; the scenario's are in :mod:`hexops.democity.scenarios`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping

import numpy as np

from hexops.democity import scenarios
from hexops.errors import InputError, NotFoundError
from hexops.geodata.uow import UnitOfWork
from hexops.services import clock as clock_service
from hexops.services import webhooks
from hexops.services.stepping import STEP

#: The replay's window: one detection event per camera per window, published when it closes.
WINDOW = STEP
#: ``make demo``'s defaults: the fireworks crowd builds within minutes at ten times real time.
DEFAULT_FROM = datetime(2026, 10, 1, 11, 0, tzinfo=timezone.utc)  # 19:00 HKT
DEFAULT_SPEED = 10.0
#: Detections before the replay's start loaded as history (the alert machines step over it).
DEFAULT_HISTORY = timedelta(hours=2)
MAX_HISTORY = timedelta(hours=24)
#: The department the demo's receiver stands in for, and the path it listens on.
DEMO_PARTNER = "DSD"
RECEIVER_PATH = "/hooks/flood"
#: Largest body the receiver reads, in bytes.
RECEIVER_MAX_BODY = 1_000_000


@dataclass(frozen=True)
class ReplayPlan:
    """Where a replay starts, how fast it runs and how much history precedes it (UTC).

    Attributes
    ----------
    start : datetime
        The scenario time the clock starts at.
    speed : float
        Scenario seconds per wall second.
    history : timedelta
        Detections loaded before the start.
    """

    start: datetime
    speed: float
    history: timedelta

    @property
    def cut(self) -> datetime:
        """The window boundary at or before :attr:`start`: data from here on arrives through the stream."""
        step = int(WINDOW.total_seconds())
        return datetime.fromtimestamp(int(self.start.timestamp()) // step * step, timezone.utc)

    @property
    def history_start(self) -> datetime:
        """Where the history (and the alert machines' restart) begins."""
        return max(scenarios.DEMO_START, self.cut - self.history)

    @property
    def stop_at(self) -> datetime:
        """The end of the scenario's data: the clock holds there."""
        return scenarios.DEMO_END


def plan_replay(start: datetime, speed: float = DEFAULT_SPEED, history: timedelta = DEFAULT_HISTORY) -> ReplayPlan:
    """Check a replay request.

    Raises
    ------
    InputError
        Naming ``from`` when the start is outside the scenario (2026-10-01
        00:00 to 2026-10-03 00:00 HKT), ``speed`` or ``history`` when out of range.
    """
    if start.tzinfo is None:
        raise InputError("from: give a UTC offset (e.g. 2026-10-01T19:00+08:00)", field="from")
    if not scenarios.DEMO_START <= start < scenarios.DEMO_END:
        raise InputError(f"from: {start.isoformat()} is outside the demo scenario "
                         f"({scenarios.DEMO_START.isoformat()} to {scenarios.DEMO_END.isoformat()})", field="from")
    if not 0 < speed <= clock_service.MAX_SPEED:
        raise InputError(f"speed: must be above 0 and at most {clock_service.MAX_SPEED:g}, got {speed:g}",
                         field="speed")
    if not timedelta(0) <= history <= MAX_HISTORY:
        raise InputError(f"history: must be between 0 and {MAX_HISTORY}, got {history}", field="history")
    return ReplayPlan(start.astimezone(timezone.utc), float(speed), history)


def rewind(uow: UnitOfWork, plan: ReplayPlan, *, actor: str) -> dict[str, int]:
    """Make the demo database look as it did at the replay's cut (audited as ``demo.rewind``).

    Returns the rows deleted per table and ``endpoints_retired``.
    """
    with uow:
        deleted = uow.demo.rewind(plan.cut, plan.history_start)
        deleted["endpoints_retired"] = uow.demo.retire_endpoints()
        uow.audit.record(actor=actor, action="demo.rewind", target=plan.cut.isoformat(),
                         details={"history_start": plan.history_start.isoformat(), **deleted})
        uow.commit()
    return deleted


def demo_city(seed: int | None = None, n_cameras: int | None = None):
    """The demo city (default: the one ``make demo`` loads, as :mod:`hexops.services.democity` builds it)."""
    from hexops.democity import build_city
    from hexops.services.democity import DEMO_CAMERAS, DEMO_SEED

    return build_city(seed=DEMO_SEED if seed is None else seed, n_cameras=n_cameras or DEMO_CAMERAS)


def load_history(uow: UnitOfWork, plan: ReplayPlan, echo: Callable[[str], None],
                 city: tuple[int, int] | None = None) -> int:
    """The demo city (``city`` is its ``(seed, cameras)``, default ``make demo``'s) and its detections
    from :attr:`ReplayPlan.history_start` to the cut.

    Window by window, so a window already present (an earlier run) is
    skipped and one deleted by :func:`rewind` is loaded again; each window is
    committed in ``uow`` on its own.  Returns the events ingested now.
    """
    from hexops.democity.load import load_city, load_detections

    built = demo_city(*city) if city else demo_city()
    load_city(uow, built, progress=lambda line: echo(f"  {line}"))
    accepted = load_detections(uow, built, plan.history_start, plan.cut, chunk=WINDOW, show_progress=False)
    echo(f"  history: {accepted} detection events ingested for {plan.history_start:%Y-%m-%d %H:%M} to "
         f"{plan.cut:%H:%M} UTC" if accepted else "  history: present, skipped")
    return accepted


def start_replay(uow: UnitOfWork, plan: ReplayPlan, receiver_url: str, *, actor: str,
                 city: tuple[int, int] | None = None) -> tuple[int, str]:
    """Register the receiver as the demo partner's endpoint and record the replay (the clock stays held).

    ``city`` is the demo city's ``(seed, cameras)`` (default: ``make demo``'s).
    Returns ``(replay_id, secret)``: the receiver checks signatures with the
    secret.  :func:`run_clock` then starts the scenario clock.
    """
    from hexops.services.democity import DEMO_CAMERAS, DEMO_SEED

    seed, cameras = city or (DEMO_SEED, DEMO_CAMERAS)
    endpoint_id, secret = webhooks.add_endpoint(uow, DEMO_PARTNER, receiver_url, actor=actor)
    with uow:
        replay_id = uow.demo.start_replay(plan.start, plan.speed, seed, cameras, endpoint_id, receiver_url)
        uow.audit.record(actor=actor, action="demo.replay", target=str(replay_id),
                         details={"from": plan.start.isoformat(), "speed": plan.speed, "endpoint_id": endpoint_id,
                                  "city": [seed, cameras]})
        uow.commit()
    return replay_id, secret


def run_clock(uow: UnitOfWork, plan: ReplayPlan, *, actor: str) -> None:
    """Start the scenario clock at the replay's start, running at its speed (every process is up)."""
    clock_service.set_scenario(uow, plan.start, speed=plan.speed, stop_at=plan.stop_at, actor=actor)


def hold_clock(uow: UnitOfWork, *, actor: str) -> datetime:
    """Stop the scenario clock where it is (the replay ended): pages keep showing that moment."""
    now = clock_service.current(uow).now()
    clock_service.set_scenario(uow, now, speed=1.0, stop_at=now, actor=actor)
    return now


def replay(uow: UnitOfWork, replay_id: int | None = None) -> dict[str, Any] | None:
    """A replay (default: the latest) with how far its publisher got, or None."""
    with uow:
        return uow.demo.get_replay(replay_id)


def run_publisher(context, replay_id: int, servers: list[str], stop: asyncio.Event | None = None) -> int:
    """Publish the replay's windows on the stream as the product clock passes them; returns windows published.

    Resumes after the last window recorded for the replay, so a restarted
    publisher neither skips nor repeats a window (a repeat would be dropped
    as duplicates anyway).  Returns when the scenario's end is published or
    ``stop`` is set.
    """
    from hexops.democity.simulator import simulate_detections
    from hexops.ingest.publish import PacedPublisher, PublishedWindow
    from hexops.ingest.known_cameras import camera_registry

    found = replay(context.uow(), replay_id)
    if found is None:
        raise NotFoundError(f"replay {replay_id}: no such replay", field="replay_id")
    after = found["published_until"] or ReplayPlan(found["scenario_from"], found["speed"], timedelta(0)).cut
    city = demo_city(found["city_seed"], found["city_cameras"])
    with context.uow() as uow:
        registry = camera_registry(uow.conn)

    def route(camera_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = registry.lookup(camera_ids)
        known = rows >= 0
        safe = np.maximum(rows, 0)
        return np.where(known, registry.owners[safe], None), np.where(known, registry.districts[safe], None)

    def events_for(start: datetime, end: datetime):
        return simulate_detections(city, start, end, window_s=int(WINDOW.total_seconds()), seed=city.seed)

    def record(window: PublishedWindow) -> None:
        with context.uow() as uow:
            uow.demo.record_window(replay_id, window.end, window.events, window.batches)
            uow.commit()

    publisher = PacedPublisher(servers, window=WINDOW, events_for=events_for, route=route,
                               now=lambda: context.clock().now())
    return asyncio.run(publisher.run(after, record, until=scenarios.DEMO_END, stop=stop))


def receive(uow: UnitOfWork, replay_id: int | None, secret: str, headers: Mapping[str, str], body: bytes,
            now: float | None = None) -> int:
    """What the demo receiver does with one POST: verify, record, answer.

    Parameters
    ----------
    headers : mapping
        Request headers with lower-case names.
    body : bytes
        The exact body bytes (the signature covers them).
    now : float, optional
        Unix seconds for the signature's freshness check (tests).

    Returns
    -------
    int
        The HTTP status to answer: 200 for a signed, readable alert; 401 when
        the signature does not verify (or is stale); 400 for a body that is
        not a JSON object.  Every POST is recorded.
    """
    signature_ok = webhooks.verify_signature(secret, headers.get("x-hexops-timestamp", ""), body,
                                             headers.get("x-hexops-signature", ""), now=now)
    document: dict | None = None
    problem = None
    if not signature_ok:
        status, problem = 401, "X-Hexops-Signature: does not match the body, or X-Hexops-Timestamp is stale"
    else:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            document, status = parsed, 200
        else:
            status, problem = 400, "body: not a JSON object"
    alert = document.get("alert") if document is not None and isinstance(document.get("alert"), dict) else None
    with uow:
        uow.demo.record_receipt(
            replay_id, delivery_id=headers.get("x-hexops-delivery"),
            event_id=str(document.get("event_id")) if document and document.get("event_id") is not None else None,
            event_type=headers.get("x-hexops-event"), signature_ok=signature_ok, status_code=status,
            alert=alert, problem=problem)
        uow.commit()
    return status


def receipts(uow: UnitOfWork, replay_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The receiver's latest receipts, newest first, each with ``delay_s``: wall seconds from the
    publication of the detections that caused the alert to its receipt (None when unknown)."""
    with uow:
        rows = uow.demo.receipts(replay_id, limit)
    for row in rows:
        published = row.get("window_published_at")
        row["delay_s"] = (row["received_at"] - published).total_seconds() if published else None
    return rows
