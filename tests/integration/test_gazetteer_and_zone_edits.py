"""The gazetteer and zone edits in PostGIS: nearest places by name, zones renamed and deleted with audit."""

from __future__ import annotations

from datetime import datetime, timezone

import psycopg
import pytest

from hexops.democity.gazetteer import build_places
from hexops.errors import NotFoundError
from hexops.geodata.uow import UnitOfWork
from hexops.services import crowd_zones, event_zones, gazetteer

AT = datetime(2026, 10, 1, 13, 0, tzinfo=timezone.utc)
#: A small square on the Tsim Sha Tsui waterfront (EPSG:4326).
SQUARE = [(114.1714, 22.2936), (114.1724, 22.2936), (114.1724, 22.2944), (114.1714, 22.2944)]


def test_a_point_at_a_place_is_named_by_it_and_a_point_nearby_by_distance_and_direction(small_city_db):
    places = build_places().set_index("name")
    park = places.loc["Kowloon Park"]
    names = gazetteer.name_points(UnitOfWork.for_url(small_city_db), {
        "at": (park["lat"], park["lon"]), "north": (park["lat"] + 0.0012, park["lon"])})
    assert names["at"] == "Kowloon Park"
    place, _, direction = names["north"].rpartition(" ")
    assert direction in {"north", "north-east", "north-west", "east", "west"} and " m" in place


def test_a_zone_is_renamed_given_a_new_capacity_and_deleted_with_its_ground_shares_and_every_change_audited(
        small_city_db):
    uow = lambda: UnitOfWork.for_url(small_city_db)  # noqa: E731
    zone_id = crowd_zones.save_drawn_zone(uow(), "Pier", 500, SQUARE, "em1")
    event_zones.update_zone(uow(), zone_id, "Pier 1", "800", actor="em1")
    assert event_zones.get_zone(uow(), zone_id)["name"] == "Pier 1"
    assert event_zones.get_zone(uow(), zone_id)["capacity"] == 800
    event_zones.delete_zone(uow(), zone_id, actor="em1", at=AT)
    with psycopg.connect(small_city_db) as conn:
        left = conn.execute("SELECT count(*) FROM event_zones WHERE zone_id = %s", (zone_id,)).fetchone()[0]
        shares = conn.execute("SELECT count(*) FROM camera_ground_shares WHERE region_kind = 'zone' "
                              "AND region_id = %s", (zone_id,)).fetchone()[0]
        audit = conn.execute("SELECT action, details FROM audit_log WHERE target = %s ORDER BY audit_id",
                             (zone_id,)).fetchall()
    assert left == 0 and shares == 0
    assert [a for a, _ in audit] == ["zone.create", "zone.update", "zone.delete"]
    assert audit[1][1]["capacity"] == [500, 800]
    with pytest.raises(NotFoundError):
        event_zones.delete_zone(uow(), zone_id, actor="em1", at=AT)
