"""Alerts for people: worst open first, and acknowledgements that name what is wrong with them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hexops.errors import InputError
from hexops.services.alert_handling import MAX_NOTE, AlertGroup, AlertItem, _sorted, acknowledge, clean_note
from tests.fakes import FakeUnitOfWork

T0 = datetime(2026, 10, 1, 12, 0, tzinfo=timezone.utc)


def _item(alert_id: int, state: str, severity: int, minutes: int = 0) -> AlertItem:
    return AlertItem("crowd", alert_id, "t", "p", "8a", T0 + timedelta(minutes=minutes), state, severity, "d")


def test_groups_with_the_worst_open_alert_come_first_and_open_alerts_lead_inside_a_group():
    quiet = AlertGroup("district:A", "A", [_item(1, "acknowledged", 3), _item(2, "cleared", 3)])
    busy = AlertGroup("zone:TST", "TST", [_item(3, "cleared", 3, 9), _item(4, "open", 1, 1), _item(5, "open", 2)])
    worst = AlertGroup("zone:WCH", "WCH", [_item(6, "open", 3)])
    ordered = _sorted([quiet, busy, worst])
    assert [g.key for g in ordered] == ["zone:WCH", "zone:TST", "district:A"]
    assert [a.alert_id for a in ordered[1].alerts] == [5, 4, 3]
    assert ordered[1].open == 2 and ordered[1].worst_open == 2 and ordered[2].worst_open == 0


def test_a_note_is_trimmed_empty_means_none_and_a_long_one_is_refused_naming_it():
    assert clean_note("  stewards sent ") == "stewards sent"
    assert clean_note("   ") is None and clean_note(None) is None
    with pytest.raises(InputError) as refused:
        clean_note("x" * (MAX_NOTE + 1))
    assert refused.value.field == "note"


@pytest.mark.parametrize("kind, ids, field", [("parking", [1], "kind"), ("crowd", [], "alerts")])
def test_an_acknowledgement_without_alerts_or_of_an_unknown_kind_writes_nothing(kind, ids, field):
    uow = FakeUnitOfWork()
    with pytest.raises(InputError) as refused:
        acknowledge(uow, kind, ids, user="em", note=None, at=T0)
    assert refused.value.field == field and uow.commits == 0
