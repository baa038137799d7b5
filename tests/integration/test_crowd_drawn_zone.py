"""Saving a zone drawn on the Events page: each bad input is refused naming its field, a good one is stored."""

from __future__ import annotations

import pandas as pd
import psycopg
import pytest
import shapely
from psycopg import sql

from hexops.geodata import crowd as q
from hexops.geodata.uow import UnitOfWork
from hexops.services import crowd_zones
from tests.fixtures.ingest import insert_cameras

# A triangle around CAM-A in Tsim Sha Tsui (lon, lat; EPSG:4326), about 60 m across.
TRIANGLE = [(114.1714, 22.2936), (114.1720, 22.2936), (114.1717, 22.2942)]
# CAM-A's visible ground: a small square inside the triangle.
FOV = shapely.Polygon([(114.17165, 22.29375), (114.17175, 22.29375), (114.17175, 22.29385), (114.17165, 22.29385)])


def _count(conn, table: str) -> int:
    return conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]


@pytest.fixture
def calibrated_db(db_url):
    insert_cameras(db_url)
    with psycopg.connect(db_url) as conn:
        q.set_camera_fovs(conn, pd.DataFrame({"camera_id": ["CAM-A"], "fov": [FOV], "fov_area_m2": [110.0]}))
        conn.commit()
    return db_url


@pytest.mark.parametrize(
    ("name", "capacity", "ring", "field"),
    [
        ("", 500, TRIANGLE, "name"),
        ("   ", 500, TRIANGLE, "name"),
        ("Pier", 0, TRIANGLE, "capacity"),
        ("Pier", -3, TRIANGLE, "capacity"),
        ("Pier", 2.5, TRIANGLE, "capacity"),
        ("Pier", "lots", TRIANGLE, "capacity"),
        ("Pier", None, TRIANGLE, "capacity"),
        ("Pier", 500, TRIANGLE[:2], "polygon"),
        ("Pier", 500, [TRIANGLE[0], TRIANGLE[1], TRIANGLE[0], TRIANGLE[1]], "polygon"),  # 2 distinct vertices
        ("Pier", 500, [(114.1714, 22.2936), (114.1720, 22.2942), (114.1720, 22.2936), (114.1714, 22.2942)],
         "polygon"),  # a bow tie: its edges cross
        ("Pier", 500, [(0.0, 0.0), (0.001, 0.0), (0.0005, 0.001)], "polygon"),  # not in Hong Kong
        ("Pier", 500, [(114.17, 22.29), (114.171, 22.29), (114.172, 22.29)], "polygon"),  # collinear: no area
        ("Pier", 500, None, "polygon"),
    ],
)
def test_each_bad_input_is_refused_naming_its_field_and_nothing_is_stored(calibrated_db, name, capacity, ring, field):
    with pytest.raises(crowd_zones.ZoneInputError) as err:
        crowd_zones.save_drawn_zone(UnitOfWork.for_url(calibrated_db), name, capacity, ring, "em")
    with psycopg.connect(calibrated_db) as conn:
        assert err.value.field == field
        assert str(err.value).startswith(f"{field}: ")
        assert _count(conn, "event_zones") == 0
        assert _count(conn, "camera_ground_shares") == 0
        assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'zone.create'").fetchone()[0] == 0


def test_a_good_drawn_zone_is_stored_calibrated_audited_and_shown_in_the_zone_panel(calibrated_db):
    closed = [*TRIANGLE, TRIANGLE[0]]  # the map sends a closed ring
    zone_id = crowd_zones.save_drawn_zone(UnitOfWork.for_url(calibrated_db), " Harbour steps ", "1200", closed, "em")
    with psycopg.connect(calibrated_db) as conn:
        zones = q.list_zones(conn).set_index("zone_id")
        assert list(zones.index) == [zone_id]
        assert zones.loc[zone_id, "name"] == "Harbour steps" and zones.loc[zone_id, "capacity"] == 1200
        assert zones.loc[zone_id, "geometry"].equals(shapely.Polygon(TRIANGLE))
        assert 2000 < zones.loc[zone_id, "area_m2"] < 3000  # ~62 m x 67 m / 2, measured in EPSG:2326
        pairs, regions = q.load_ground_shares(conn, "zone")
        assert list(pairs["camera_id"]) == ["CAM-A"] and list(pairs["region"]) == [zone_id]
        assert pairs["share_m2"].iloc[0] == pytest.approx(regions.loc[zone_id, "covered_m2"])
        assert 80 < regions.loc[zone_id, "covered_m2"] < 140  # the whole square view lies inside
        actor, target = conn.execute(
            "SELECT actor, target FROM audit_log WHERE action = 'zone.create'").fetchone()
        assert (actor, target) == ("em", zone_id)
