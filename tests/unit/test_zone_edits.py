"""Editing and deleting event zones: validation before any write, one audited transaction each."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hexops.errors import NotFoundError
from hexops.services import event_zones as zone_edits
from hexops.services.crowd_zones import ZoneInputError
from tests.fakes import FakeAudit, FakeRepository, FakeUnitOfWork

AT = datetime(2026, 10, 1, 13, 0, tzinfo=timezone.utc)


class FakeZones(FakeRepository):
    """``uow.crowd``'s zone functions over a dict."""

    def __init__(self, zones: dict[str, dict]):
        super().__init__()
        self.zones = {k: dict(v) for k, v in zones.items()}
        self.cleared: list[tuple[str, datetime]] = []

    def get_zone(self, zone_id):
        zone = self.zones.get(zone_id)
        return None if zone is None else {"zone_id": zone_id, **zone}

    def update_zone(self, zone_id, name, capacity):
        self._stage("zones", zone_id, {**self.zones[zone_id], "name": name, "capacity": capacity})

    def delete_zone(self, zone_id, at):
        self.cleared.append((zone_id, at))
        self._stage("zones", zone_id, None)

    def commit(self):
        super().commit()
        self.zones = {k: v for k, v in self.zones.items() if v is not None}


def _uow():
    return FakeUnitOfWork(crowd=FakeZones({"TST": {"name": "Tsim Sha Tsui", "capacity": 129600, "area_m2": 36000.0}}),
                          audit=FakeAudit())


def test_an_edited_zone_keeps_its_polygon_and_the_change_is_audited_with_old_and_new_values():
    uow = _uow()
    zone_edits.update_zone(uow, "TST", "  TST promenade ", "120000", actor="em1")
    assert uow.crowd.zones["TST"]["name"] == "TST promenade" and uow.crowd.zones["TST"]["capacity"] == 120000
    assert uow.audit.actions() == ["zone.update"]
    details = uow.audit.records[0]["details"]
    assert details == {"name": ["Tsim Sha Tsui", "TST promenade"], "capacity": [129600, 120000]}


@pytest.mark.parametrize("capacity", ["0", "-10", "12.5", "1e12", "", None, "lots", "nan", "inf"])
def test_a_capacity_that_is_not_a_whole_number_of_people_in_range_is_refused_naming_capacity(capacity):
    uow = _uow()
    with pytest.raises(ZoneInputError) as info:
        zone_edits.update_zone(uow, "TST", "TST", capacity, actor="em1")
    assert info.value.field == "capacity"
    assert uow.crowd.zones["TST"]["capacity"] == 129600 and uow.audit.actions() == []


@given(name=st.text(max_size=400))
def test_any_name_is_either_stored_trimmed_or_refused_naming_name(name):
    uow = _uow()
    try:
        zone_edits.update_zone(uow, "TST", name, 100, actor="em1")
    except ZoneInputError as exc:
        assert exc.field == "name"
        assert uow.audit.actions() == []
    else:
        assert uow.crowd.zones["TST"]["name"] == name.strip()
        assert 1 <= len(name.strip()) <= zone_edits.MAX_NAME_CHARS


def test_a_deleted_zone_is_gone_its_open_alerts_cleared_and_the_deletion_audited():
    uow = _uow()
    zone_edits.delete_zone(uow, "TST", actor="em1", at=AT)
    assert "TST" not in uow.crowd.zones
    assert uow.crowd.cleared == [("TST", AT)]
    assert uow.audit.actions() == ["zone.delete"]
    assert uow.audit.records[0]["details"]["name"] == "Tsim Sha Tsui"


def test_editing_or_deleting_a_zone_that_is_not_there_is_not_found_and_writes_nothing():
    uow = _uow()
    with pytest.raises(NotFoundError):
        zone_edits.update_zone(uow, "GONE", "x", 10, actor="em1")
    with pytest.raises(NotFoundError):
        zone_edits.delete_zone(uow, "GONE", actor="em1", at=AT)
    with pytest.raises(ZoneInputError) as info:
        zone_edits.delete_zone(uow, "", actor="em1", at=AT)
    assert info.value.field == "zone"
    assert uow.audit.actions() == [] and "TST" in uow.crowd.zones


def test_times_to_threshold_read_as_hours_and_minutes_or_not_within_the_horizon():
    from hexops.dashboard.components.zone_panel import format_eta

    assert format_eta(0.0) == "now" and format_eta(-3.0) == "now"
    assert format_eta(45.2) == "45 min"
    assert format_eta(85.0) == "1 h 25 min" and format_eta(120.0) == "2 h"
    assert format_eta(84460.0) == "not within 2 h" and format_eta(float("inf")) == "not within 2 h"
    assert format_eta(float("nan")) == "\u2013"


def test_the_zone_panel_sorts_by_each_offered_order_with_zones_without_data_last():
    import numpy as np
    import pandas as pd

    from hexops.dashboard.components.zone_panel import SORTS, sort_panel

    panel = pd.DataFrame({"name": ["b", "A", "c"], "occupancy_pct": [50.0, np.nan, 90.0],
                          "density": [1.0, np.nan, 3.0], "eta_2": [30.0, np.nan, 0.0], "eta_4": [90.0, np.nan, 10.0]},
                         index=["Z1", "Z2", "Z3"])
    assert list(sort_panel(panel, (2, 4), "occupancy").index) == ["Z3", "Z1", "Z2"]
    assert list(sort_panel(panel, (2, 4), "eta").index) == ["Z3", "Z1", "Z2"]
    assert list(sort_panel(panel, (2, 4), "name").index) == ["Z2", "Z1", "Z3"]
    assert set(SORTS) == {"occupancy", "density", "eta", "name"}
