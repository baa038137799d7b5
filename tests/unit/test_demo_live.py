"""The live demo's rules that need no server: where a replay may start, and what the receiver accepts."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hexops.democity import scenarios
from hexops.errors import InputError
from hexops.services import demo_live, webhooks
from tests.fakes import FakeRepository, FakeUnitOfWork


class FakeDemo(FakeRepository):
    """``uow.demo``: keeps the committed receipts."""

    def __init__(self) -> None:
        super().__init__()
        self.receipts: dict[int, dict] = {}

    def record_receipt(self, replay_id, **receipt) -> int:
        key = len(self.receipts) + len(self._pending)
        self._stage("receipts", key, {"replay_id": replay_id, **receipt})
        return key


def _signed(secret: str, body: bytes, at: float | None = None) -> dict[str, str]:
    stamp = int(time.time() if at is None else at)
    return {"x-hexops-timestamp": str(stamp), "x-hexops-signature": webhooks.sign(secret, stamp, body),
            "x-hexops-delivery": "17", "x-hexops-event": "flood_alert"}


@given(st.datetimes(min_value=datetime(2026, 9, 30, 16), max_value=datetime(2026, 10, 2, 15, 59),
                    timezones=st.just(timezone.utc)))
def test_a_replay_starts_at_the_window_boundary_at_or_before_the_asked_time(start):
    plan = demo_live.plan_replay(start)
    assert plan.cut <= start < plan.cut + demo_live.WINDOW
    assert plan.cut.timestamp() % demo_live.WINDOW.total_seconds() == 0
    assert scenarios.DEMO_START <= plan.history_start <= plan.cut


def test_a_replay_outside_the_scenario_or_at_an_impossible_speed_is_refused_naming_the_field():
    with pytest.raises(InputError) as outside:
        demo_live.plan_replay(scenarios.DEMO_END)
    assert outside.value.field == "from"
    with pytest.raises(InputError) as naive:
        demo_live.plan_replay(datetime(2026, 10, 1, 19, 0))
    assert naive.value.field == "from"
    for speed in (0, -1, 1e9):
        with pytest.raises(InputError) as bad:
            demo_live.plan_replay(demo_live.DEFAULT_FROM, speed)
        assert bad.value.field == "speed"
    with pytest.raises(InputError) as long_history:
        demo_live.plan_replay(demo_live.DEFAULT_FROM, 10, timedelta(days=3))
    assert long_history.value.field == "history"


def test_the_default_replay_starts_before_the_fireworks_crowd_builds_past_two_people_per_square_metre():
    plan = demo_live.plan_replay(demo_live.DEFAULT_FROM)
    assert scenarios.FIREWORKS.build_start <= plan.start < scenarios.FIREWORKS.peak_start


def test_the_receiver_accepts_a_signed_alert_and_records_it():
    uow = FakeUnitOfWork(demo=FakeDemo())
    body = json.dumps({"type": "flood_alert", "event_id": "flood-x", "alert": {"h3": "89411c", "state": "flooded"}}
                      ).encode()
    assert demo_live.receive(uow, 3, "s" * 64, _signed("s" * 64, body), body) == 200
    [got] = uow.demo.receipts.values()
    assert got["signature_ok"] and got["status_code"] == 200 and got["alert"]["state"] == "flooded"
    assert got["event_id"] == "flood-x" and got["delivery_id"] == "17" and got["replay_id"] == 3


@pytest.mark.parametrize("tamper", ["key", "body", "stale"])
def test_the_receiver_refuses_a_wrong_key_a_changed_body_or_a_stale_signature_and_records_the_refusal(tamper):
    uow = FakeUnitOfWork(demo=FakeDemo())
    body = b'{"alert": {"state": "flooded"}}'
    secret = "k" * 64
    headers = _signed("other" * 13 if tamper == "key" else secret, body,
                      at=time.time() - 3600 if tamper == "stale" else None)
    sent = body.replace(b"flooded", b"dry") if tamper == "body" else body
    assert demo_live.receive(uow, 1, secret, headers, sent) == 401
    [got] = uow.demo.receipts.values()
    assert not got["signature_ok"] and got["alert"] is None and "X-Hexops-Signature" in got["problem"]


def test_a_signed_body_that_is_not_a_json_object_is_answered_400():
    uow = FakeUnitOfWork(demo=FakeDemo())
    body = b"[1, 2, 3]"
    assert demo_live.receive(uow, 1, "k" * 64, _signed("k" * 64, body), body) == 400
    assert next(iter(uow.demo.receipts.values()))["problem"] == "body: not a JSON object"
