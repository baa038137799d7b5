"""The demo city in PostGIS: consistent counts, idempotent loading, scenario detections."""

from __future__ import annotations

import psycopg

from hexops.geodata import hexgrid, reference
from hexops.democity import scenarios
from hexops.democity.load import load_city
from hexops.geodata.uow import UnitOfWork


def test_the_loaded_city_has_its_districts_cameras_and_hexes(loaded_small_city_db, small_city):
    with psycopg.connect(loaded_small_city_db) as conn:
        counts = reference.table_counts(conn)
        per_res = hexgrid.hex_counts(conn)
        orphans = hexgrid.hexes_without_district(conn)
        no_district = conn.execute("SELECT count(*) FROM cameras WHERE district_code IS NULL").fetchone()[0]
    assert counts["districts"] == 18
    assert counts["cameras"] == len(small_city.cameras)
    # The real coastline (GSHHG, 151 islands) touches more res-9 cells than Hong Kong's
    # ~1,110 km2 would fill (each ~0.1 km2): 'overlap' containment keeps every coastal cell.
    assert 10_500 < per_res[9] < 13_500
    assert per_res[8] < per_res[9] < per_res[10]
    assert orphans == 0
    assert no_district == 0
    assert counts["incidents"] > 5_000


def test_camera_cells_in_the_database_match_the_city(loaded_small_city_db, small_city):
    with psycopg.connect(loaded_small_city_db) as conn:
        rows = dict(conn.execute("SELECT camera_id, h3_r9 FROM cameras").fetchall())
    expected = dict(zip(small_city.cameras["camera_id"], small_city.cameras["h3_r9"].astype(int)))
    assert rows == expected


def test_every_camera_stands_in_a_stored_land_hex(loaded_small_city_db):
    with psycopg.connect(loaded_small_city_db) as conn:
        missing = conn.execute(
            "SELECT count(*) FROM cameras c WHERE NOT EXISTS (SELECT 1 FROM hex_cells h WHERE h.h3 = c.h3_r9)"
        ).fetchone()[0]
    assert missing == 0


def test_the_gazetteer_and_the_basemap_land_are_loaded_with_the_city(loaded_small_city_db, small_city):
    from hexops.democity.gazetteer import build_places
    with psycopg.connect(loaded_small_city_db) as conn:
        places = conn.execute("SELECT count(*) FROM places").fetchone()[0]
        land = conn.execute("SELECT count(*), sum(ST_Area(geom::geography)) / 1e6 FROM basemap_land").fetchone()
        named = conn.execute("SELECT count(*) FILTER (WHERE location_name IS NOT NULL), count(*) FROM cameras").fetchone()
    assert places == len(build_places())
    assert land[0] > 50 and 1000 < land[1] < 1200          # polygons, km2
    assert named[0] == named[1]


def test_loading_the_city_again_writes_nothing(loaded_small_city_db, small_city):
    written = load_city(UnitOfWork.for_url(loaded_small_city_db), small_city)
    assert written == {"districts": 0, "hex_cells": 0, "cameras": 0, "incidents": 0}


def test_flooding_hexes_see_flooded_water_from_several_cameras(loaded_small_city_db):
    with psycopg.connect(loaded_small_city_db) as conn:
        for cell in scenarios.RAINSTORM.flooding_hexes(9):
            cams = conn.execute(
                "SELECT count(DISTINCT m.camera_id) FROM detections_camera_minute m "
                "JOIN cameras c USING (camera_id) WHERE c.h3_r9 = %s AND m.flooded_s > 0",
                (cell,),
            ).fetchone()[0]
            assert cams >= 2, cell


def test_the_fireworks_pack_the_densest_zone_and_saturate_some_of_its_cameras(loaded_small_city_db):
    zone = scenarios.FIREWORKS.densest_zone
    with psycopg.connect(loaded_small_city_db) as conn:
        density, saturated = conn.execute(
            "SELECT sum(m.people_s / m.covered_s) / sum(c.fov_area_m2), sum(m.saturated_n) "
            "FROM detections_camera_minute m JOIN cameras c USING (camera_id) "
            "WHERE c.camera_id LIKE %s AND m.minute >= %s AND m.minute < %s",
            (f"LCSD-{zone}-%", scenarios.FIREWORKS.show_start, scenarios.FIREWORKS.show_end),
        ).fetchone()
    assert 3.5 < density < 5.0
    assert saturated > 0


def test_the_demo_step_run_again_ingests_nothing(small_city_db):
    from hexops.services.democity import load_demo_city

    lines: list[str] = []
    assert load_demo_city(UnitOfWork.for_url(small_city_db), lines.append, n_cameras=300) == 0
    assert any("skipped" in line for line in lines)
