"""Flood alerts pushed to partners' endpoints: signed, retried with backoff, logged.

The flood-alert producer calls :func:`enqueue_flood_alert` inside the
transaction that raises the alert (so an alert rolled back is never sent),
and the worker's ``webhooks.deliver`` job calls :func:`deliver_pending`
every few seconds (``hexops webhooks deliver`` does one pass by hand).

What a partner receives: ``POST <url>`` with a JSON body
``{"type": "flood_alert", "event_id": ..., "sent_at": ..., "alert": {...}}`` and headers

- ``X-Hexops-Event``: ``flood_alert``; ``X-Hexops-Delivery``: the delivery id;
- ``X-Hexops-Timestamp``: Unix seconds when signed;
- ``X-Hexops-Signature``: ``v1=`` + hex HMAC-SHA256, keyed with the endpoint's
  secret, over ``<timestamp>.`` followed by the exact body bytes.

The receiver recomputes the HMAC, compares in constant time and rejects
timestamps older than a few minutes (replays); :func:`verify_signature` does
exactly that.  A 2xx answer ends the delivery; anything else (or no answer
within the timeout) is retried after ``base_delay * 2**(attempt-1)`` seconds,
capped, until ``max_attempts``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import requests

from hexops.errors import NotFoundError
from hexops.geodata.uow import UnitOfWork

EVENT_FLOOD_ALERT = "flood_alert"
#: The grant a department needs to be sent flood alerts.
FLOOD_ALERT_LAYER = "flood_alerts"


@dataclass(frozen=True)
class RetryPolicy:
    """Retry schedule.

    Attributes
    ----------
    base_delay_s : float
        Wait after the first failure, in seconds; doubled after each further one.
    max_delay_s : float
        Cap on one wait, in seconds.
    max_attempts : int
        Attempts before a delivery is marked ``failed``.
    timeout_s : float
        HTTP timeout of one attempt, in seconds.
    """

    base_delay_s: float = 30.0
    max_delay_s: float = 3600.0
    max_attempts: int = 8
    timeout_s: float = 10.0

    def delay_after(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))


@dataclass
class DeliveryReport:
    """What one :func:`deliver_pending` pass did."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def new_secret() -> str:
    """A fresh HMAC key for an endpoint (share it with the partner once)."""
    return secrets.token_hex(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Hexops-Signature`` value for ``body`` signed at ``timestamp`` (Unix seconds)."""
    digest = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return "v1=" + digest.hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str, now: float | None = None,
                     tolerance_s: float = 300.0) -> bool:
    """What a receiver does: recompute, compare in constant time, refuse stale timestamps."""
    try:
        signed_at = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - signed_at) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, signed_at, body), signature)


def add_endpoint(uow: UnitOfWork, department: str, url: str, *, actor: str,
                 secret: str | None = None) -> tuple[int, str]:
    """Register a partner endpoint for flood alerts; returns ``(endpoint_id, secret)``."""
    secret = secret or new_secret()
    with uow:
        endpoint_id = uow.webhooks.add_endpoint(department, url, secret, [EVENT_FLOOD_ALERT])
        uow.audit.record(actor=actor, action="webhook.register", target=department,
                         details={"endpoint_id": endpoint_id, "url": url})
        uow.commit()
    return endpoint_id, secret


def disable_endpoint(uow: UnitOfWork, endpoint_id: int, *, actor: str) -> None:
    """Stop queueing alerts for an endpoint (pending deliveries still go out); audited."""
    with uow:
        if not uow.webhooks.set_endpoint_active(endpoint_id, False):
            raise NotFoundError(f"endpoint {endpoint_id}: no such endpoint", field="endpoint_id")
        uow.audit.record(actor=actor, action="webhook.disable", target=str(endpoint_id))
        uow.commit()


#: Evidence that counts cameras: from it and the hexagon, where cameras stand
#: follows. A push goes to every department granted flood alerts, whatever
#: else it holds, so it never carries these (issue 10's rule on camera positions).
CAMERA_EVIDENCE = frozenset({"n_cameras", "n_wet", "n_flooded"})


def _without_camera_figures(alert: dict[str, Any]) -> dict[str, Any]:
    evidence = alert.get("evidence")
    if not isinstance(evidence, dict):
        return alert
    return {**alert, "evidence": {k: v for k, v in evidence.items() if k not in CAMERA_EVIDENCE}}


def enqueue_flood_alert(uow: UnitOfWork, alert: dict[str, Any], now: datetime | None = None) -> int:
    """Queue ``alert`` for every endpoint of a department granted ``flood_alerts``.

    Parameters
    ----------
    uow : UnitOfWork
        The producer's open unit of work: the deliveries commit with the alert
        (this function never commits).
    alert : dict
        JSON-serialisable alert.  ``alert_id`` (or ``id``) is the idempotency
        key; without one, a hash of the alert's canonical JSON is used.
        Only aggregates belong here (hexagon, state, times), never footage;
        camera counts in its ``evidence`` (:data:`CAMERA_EVIDENCE`) are dropped.

    Returns
    -------
    int
        Deliveries queued (0 when no granted department has an endpoint).
    """
    alert = _without_camera_figures(alert)
    canonical = json.dumps(alert, sort_keys=True, default=str)
    key = alert.get("alert_id", alert.get("id"))
    event_id = str(key) if key is not None else hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]
    payload = {"type": EVENT_FLOOD_ALERT, "event_id": event_id, "alert": json.loads(canonical)}
    with uow:
        return uow.webhooks.enqueue(EVENT_FLOOD_ALERT, event_id, payload, FLOOD_ALERT_LAYER,
                                    now or datetime.now(timezone.utc))


def _attempt(session: requests.Session, job: dict[str, Any], policy: RetryPolicy,
             now: datetime) -> tuple[int | None, str | None]:
    """POST one delivery; returns ``(status_code, error)``, error None on a 2xx."""
    body = json.dumps({**job["payload"], "sent_at": now.isoformat()}, sort_keys=True).encode("utf-8")
    stamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "X-Hexops-Event": job["event_type"],
        "X-Hexops-Delivery": str(job["delivery_id"]),
        "X-Hexops-Timestamp": str(stamp),
        "X-Hexops-Signature": sign(job["secret"], stamp, body),
    }
    try:
        response = session.post(job["url"], data=body, headers=headers, timeout=policy.timeout_s,
                                allow_redirects=False)
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


def deliver_pending(uow_factory: Callable[[], UnitOfWork], *, now: datetime | None = None,
                    policy: RetryPolicy | None = None, session: requests.Session | None = None,
                    limit: int = 100) -> DeliveryReport:
    """One pass over the due deliveries (at most ``limit``), each in its own transaction.

    Parameters
    ----------
    uow_factory : callable
        Returns a fresh unit of work (``context.uow``): each delivery is
        claimed, attempted and recorded in its own, so one slow partner does
        not hold the others' rows.
    now : datetime, optional
        The clock (UTC); tests pass it to step through the backoff schedule.
        Deliveries follow wall-clock time even in the demo: they are real
        HTTP requests.
    """
    policy = policy or RetryPolicy()
    session = session or requests.Session()
    report = DeliveryReport()
    for _ in range(limit):
        clock = now or datetime.now(timezone.utc)
        with uow_factory() as uow:
            job = uow.webhooks.claim_due(clock)
            if job is None:
                break
            status, error = _attempt(session, job, policy, clock)
            if error is None:
                uow.webhooks.mark_delivered(job["delivery_id"], status, clock)
                uow.commit()
                report.delivered += 1
                continue
            attempt = job["attempts"] + 1
            retry_at = None if attempt >= policy.max_attempts else clock + timedelta(
                seconds=policy.delay_after(attempt))
            uow.webhooks.mark_failed(job["delivery_id"], status, error, retry_at)
            uow.commit()
            report.errors.append(f"delivery {job['delivery_id']} to {job['department']}: {error}")
            if retry_at is None:
                report.failed += 1
            else:
                report.retried += 1
    return report
