"""Readiness is a list of named checks: order, dependencies and terse public reasons."""

from __future__ import annotations

from types import SimpleNamespace

from hexops.services.health import ReadinessCheck, readiness

CONTEXT = SimpleNamespace(settings=SimpleNamespace(nats_url=None))


def _fails(_context):
    raise ConnectionRefusedError("connect to 10.0.0.7:5432 refused: password for admin")


def test_a_failing_check_is_not_ready_with_only_its_exception_type_and_its_dependents_are_skipped():
    results = readiness(CONTEXT, [
        ReadinessCheck("database", _fails),
        ReadinessCheck("jobs", lambda c: (True, "fresh"), needs=("database",)),
        ReadinessCheck("clock", lambda c: (True, "ok")),
    ])
    by_name = {r.name: r for r in results}
    assert [r.name for r in results] == ["database", "jobs", "clock"]
    assert not by_name["database"].ok and by_name["database"].detail == "unreachable (ConnectionRefusedError)"
    assert not by_name["jobs"].ok and by_name["jobs"].detail == "skipped: database not ready"
    assert by_name["clock"].ok


def test_a_check_that_does_not_apply_to_this_deployment_is_left_out():
    results = readiness(CONTEXT, [ReadinessCheck("broker", _fails, applies=lambda s: bool(s.nats_url)),
                                  ReadinessCheck("replica", lambda c: (False, "lag 40 s"))])
    assert [(r.name, r.ok, r.detail) for r in results] == [("replica", False, "lag 40 s")]
