"""Flood-alert webhooks to a real HTTP endpoint on 127.0.0.1: signed, retried with backoff, logged."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from hexops.geodata.db import Database
from hexops.geodata.uow import UnitOfWork
from hexops.services import webhooks
from tests.fixtures.auth import grant_layers

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
POLICY = webhooks.RetryPolicy(base_delay_s=30, max_delay_s=600, max_attempts=4, timeout_s=5)
ALERT = {"alert_id": "flood-89411cb3603ffff-1", "h3": "89411cb3603ffff", "state": "flooded",
         "at": "2026-11-21T12:00:00+00:00"}


@pytest.fixture
def db(db_url):
    """The unit-of-work factory the delivery pass takes (each delivery in its own transaction)."""
    database = Database(db_url, min_size=1, max_size=2).open()
    yield lambda: UnitOfWork(database.connection)
    database.close()


def _enqueue(db_url: str, alert: dict, now) -> int:
    """What a producer does: queue the alert inside its own transaction, then commit."""
    with UnitOfWork.for_url(db_url) as uow:
        queued = webhooks.enqueue_flood_alert(uow, alert, now=now)
        uow.commit()
    return queued


def _register(db_url: str, url: str, department: str = "DSD") -> str:
    _, secret = webhooks.add_endpoint(UnitOfWork.for_url(db_url), department, url, actor="test")
    return secret


def _delivery(db_url: str) -> tuple:
    with psycopg.connect(db_url) as conn:
        return conn.execute("SELECT status, attempts, next_attempt_at, last_status_code FROM webhook_deliveries"
                            ).fetchone()


def test_a_delivery_failing_twice_is_retried_with_doubling_waits_then_delivered(db_url, db, receiver):
    grant_layers(db_url, "DSD", ["flood_alerts"])
    endpoint = receiver(failures=2)
    _register(db_url, endpoint.url)
    assert _enqueue(db_url, ALERT, T0) == 1
    first = webhooks.deliver_pending(db, now=T0, policy=POLICY)
    after_first = _delivery(db_url)
    too_early = webhooks.deliver_pending(db, now=T0 + timedelta(seconds=29), policy=POLICY)
    second = webhooks.deliver_pending(db, now=T0 + timedelta(seconds=30), policy=POLICY)
    after_second = _delivery(db_url)
    third = webhooks.deliver_pending(db, now=T0 + timedelta(seconds=90), policy=POLICY)
    assert (first.retried, too_early.retried + too_early.delivered, second.retried, third.delivered) == (1, 0, 1, 1)
    assert after_first[:3] == ("pending", 1, T0 + timedelta(seconds=30))
    assert after_second[:3] == ("pending", 2, T0 + timedelta(seconds=90))
    assert _delivery(db_url)[0:2] == ("delivered", 3) and _delivery(db_url)[3] == 200
    assert len(endpoint.received) == 3


def test_the_body_is_signed_with_the_endpoints_secret_over_timestamp_and_body(db_url, db, receiver):
    grant_layers(db_url, "DSD", ["flood_alerts"])
    endpoint = receiver(failures=0)
    secret = _register(db_url, endpoint.url)
    _enqueue(db_url, ALERT, T0)
    webhooks.deliver_pending(db, now=T0, policy=POLICY)
    headers, body = endpoint.received[0]
    stamp, signature = headers["X-Hexops-Timestamp"], headers["X-Hexops-Signature"]
    assert webhooks.verify_signature(secret, stamp, body, signature, now=T0.timestamp())
    assert not webhooks.verify_signature(secret, stamp, body + b" ", signature, now=T0.timestamp())
    assert not webhooks.verify_signature("another-secret" * 3, stamp, body, signature, now=T0.timestamp())
    assert not webhooks.verify_signature(secret, stamp, body, signature, now=T0.timestamp() + 3600)


def test_a_delivery_that_never_succeeds_is_marked_failed_after_the_last_attempt(db_url, db, receiver):
    grant_layers(db_url, "DSD", ["flood_alerts"])
    endpoint = receiver(failures=100)
    _register(db_url, endpoint.url)
    _enqueue(db_url, ALERT, T0)
    clock = T0
    for _ in range(POLICY.max_attempts + 2):
        webhooks.deliver_pending(db, now=clock, policy=POLICY)
        clock += timedelta(seconds=POLICY.max_delay_s)
    assert _delivery(db_url)[:2] == ("failed", POLICY.max_attempts)
    assert len(endpoint.received) == POLICY.max_attempts


def test_an_unreachable_endpoint_is_logged_and_retried(db_url, db):
    grant_layers(db_url, "DSD", ["flood_alerts"])
    _register(db_url, "http://127.0.0.1:9/nothing-listens-here")
    _enqueue(db_url, ALERT, T0)
    report = webhooks.deliver_pending(db, now=T0, policy=POLICY)
    with psycopg.connect(db_url) as conn:
        error = conn.execute("SELECT last_error FROM webhook_deliveries").fetchone()[0]
    assert report.retried == 1 and "ConnectionError" in error


def test_departments_without_a_live_flood_alert_grant_are_not_sent_alerts(db_url, receiver):
    grant_layers(db_url, "TD", ["flood_alerts"])
    _register(db_url, receiver(0).url, department="DSD")
    queued = _enqueue(db_url, ALERT, T0)
    assert queued == 0


def test_the_same_alert_enqueued_twice_is_delivered_once(db_url):
    grant_layers(db_url, "DSD", ["flood_alerts"])
    _register(db_url, "http://127.0.0.1:9/x")
    counts = [_enqueue(db_url, ALERT, T0) for _ in range(2)]
    assert counts == [1, 0]


def test_the_backoff_doubles_and_is_capped():
    assert [POLICY.delay_after(n) for n in range(1, 7)] == [30, 60, 120, 240, 480, 600]


def test_a_pushed_flood_alert_carries_no_camera_counts(db_url, db, receiver):
    """An outside probe read n_cameras from the Drainage department's pushes (no camera_positions grant)."""
    import json

    grant_layers(db_url, "DSD", ["flood_alerts"])
    endpoint = receiver(failures=0)
    _register(db_url, endpoint.url)
    evidence = {"n_cameras": 3, "n_wet": 2, "n_flooded": 1, "rain_mm_h": 99.0, "rainstorm": "black",
                "low_lying": True}
    _enqueue(db_url, {**ALERT, "evidence": evidence}, T0)
    webhooks.deliver_pending(db, now=T0, policy=POLICY)
    _, body = endpoint.received[0]
    sent = json.loads(body)["alert"]["evidence"]
    assert sent == {"rain_mm_h": 99.0, "rainstorm": "black", "low_lying": True}
    with psycopg.connect(db_url) as conn:
        stored = conn.execute("SELECT payload FROM webhook_deliveries").fetchone()[0]
    assert "n_cameras" not in json.dumps(stored)
