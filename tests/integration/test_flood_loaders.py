"""``hexops load rainfall|lowlying|zones|calibration``: clear row/field errors, nothing half-loaded."""

from __future__ import annotations

import json

import psycopg
from psycopg import sql
import pytest
from click.testing import CliRunner

from hexops.cli import build_cli
from tests.fixtures.ingest import insert_cameras


@pytest.fixture
def run(db_url, tmp_path):
    insert_cameras(db_url)
    with psycopg.connect(db_url) as conn:
        conn.execute("INSERT INTO districts (code, name_en, geom) VALUES ('E', 'Yau Tsim Mong', "
                     "ST_Multi(ST_MakeEnvelope(114.15, 22.28, 114.19, 22.33, 4326)))")

    def invoke(*args):
        return CliRunner().invoke(build_cli(), list(args),
                                  env={"HEXOPS_DATABASE_URL": db_url, "HEXOPS_STATE_DIR": str(tmp_path)})

    def count(table):
        with psycopg.connect(db_url) as conn:
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            return conn.execute(query).fetchone()[0]

    invoke.count = count
    return invoke


def _write(path, text):
    path.write_text(text)
    return str(path)


def test_a_good_rainfall_file_loads_every_reading(run, tmp_path):
    f = _write(tmp_path / "rain.csv", "station_id,observed_at,mm_per_h,district_code,lon,lat\n"
               "G1,2026-10-02T07:30:00+00:00,72.5,E,,\n"
               "G2,2026-10-02T07:30:00+08:00,12,,114.17,22.30\n")
    result = run("load", "rainfall", f)
    assert result.exit_code == 0, result.output
    assert run.count("rainfall_readings") == 2


def test_a_bad_rainfall_row_names_its_line_and_field_and_nothing_is_loaded(run, tmp_path):
    f = _write(tmp_path / "rain.csv", "station_id,observed_at,mm_per_h,district_code\n"
               "G1,2026-10-02T07:30:00+00:00,40,E\n"
               "G2,2026-10-02 07:30,12,E\n"
               "G3,2026-10-02T07:30:00+00:00,-3,E\n"
               "G4,2026-10-02T07:30:00+00:00,5,ZZ\n")
    result = run("load", "rainfall", f)
    assert result.exit_code == 1
    assert "line 3, field observed_at" in result.output
    assert "line 4, field mm_per_h" in result.output
    assert run.count("rainfall_readings") == 0
    unknown = _write(tmp_path / "rain2.csv", "station_id,observed_at,mm_per_h,district_code\n"
                     "G1,2026-10-02T07:30:00+00:00,40,E\nG4,2026-10-02T07:30:00+00:00,5,ZZ\n")
    result = run("load", "rainfall", unknown)
    assert "line 3, field district_code: unknown district 'ZZ'" in result.output
    assert run.count("rainfall_readings") == 0


def _features(*features):
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features]})


SQUARE = {"type": "Polygon", "coordinates": [[[114.1715, 22.2938], [114.1719, 22.2938], [114.1719, 22.2941],
                                              [114.1715, 22.2941], [114.1715, 22.2938]]]}
BOWTIE = {"type": "Polygon", "coordinates": [[[114.17, 22.29], [114.18, 22.30], [114.18, 22.29], [114.17, 22.30],
                                              [114.17, 22.29]]]}


def test_zones_load_and_are_calibrated_against_the_cameras(run, tmp_path):
    run("load", "calibration", _write(tmp_path / "cal.geojson", _features(({"camera_id": "CAM-A"}, SQUARE))))
    f = _write(tmp_path / "zones.geojson", _features(({"zone_id": "Z1", "name": "Pier", "capacity": 500}, SQUARE)))
    result = run("load", "zones", f)
    assert result.exit_code == 0, result.output
    assert run.count("event_zones") == 1
    assert run.count("camera_ground_shares") >= 2  # one zone share, at least one hex share


def test_a_bad_zone_names_its_row_and_field_and_no_zone_is_loaded(run, tmp_path):
    f = _write(tmp_path / "zones.geojson", _features(
        ({"zone_id": "Z1", "name": "Pier", "capacity": 500}, SQUARE),
        ({"zone_id": "Z2", "name": "Bad", "capacity": 0}, SQUARE),
        ({"zone_id": "Z3", "name": "Twist", "capacity": 10}, BOWTIE)))
    result = run("load", "zones", f)
    assert result.exit_code == 1
    assert "row 2, field capacity" in result.output and "row 3, field geometry: invalid polygon" in result.output
    assert run.count("event_zones") == 0


def test_calibration_for_an_unknown_camera_is_refused_whole(run, tmp_path):
    f = _write(tmp_path / "cal.geojson", _features(({"camera_id": "CAM-A"}, SQUARE), ({"camera_id": "NOPE"}, SQUARE)))
    result = run("load", "calibration", f)
    assert result.exit_code == 1 and "row 2, field camera_id: unknown camera 'NOPE'" in result.output
    assert run.count("camera_ground_shares") == 0


def test_low_lying_places_load_with_a_default_prior(run, tmp_path):
    f = _write(tmp_path / "low.geojson", _features(({"place_id": "P1", "name": "Dip"}, SQUARE)))
    result = run("load", "lowlying", f)
    assert result.exit_code == 0, result.output
    assert run.count("low_lying_places") == 1


def test_crews_load_with_their_depots_and_a_misplaced_depot_is_refused(run, tmp_path):
    good = _write(tmp_path / "crews.csv", "crew_id,name,depot_id,depot_name,lon,lat\n"
                  "K1,Kowloon 1,KLN,Kowloon depot,114.154,22.337\nK2,Kowloon 2,KLN,Kowloon depot,114.154,22.337\n")
    result = run("load", "crews", good)
    assert result.exit_code == 0, result.output
    assert run.count("drainage_crews") == 2 and run.count("drainage_depots") == 1
    bad = _write(tmp_path / "bad.csv", "crew_id,name,depot_id,depot_name,lon,lat\n"
                 "E1,East 1,HKE,East depot,114.23,22.27\nE2,East 2,HKE,East depot,114.10,22.27\n")
    result = run("load", "crews", bad)
    assert result.exit_code == 1 and "line 3, field lon: depot 'HKE' is placed elsewhere on line 2" in result.output
    assert run.count("drainage_crews") == 2


def test_advancing_with_no_detections_says_so_and_a_time_without_offset_is_refused(run):
    result = run("crowd", "advance")
    assert result.exit_code == 1 and "no detections loaded" in result.output
    result = run("flood", "advance", "--until", "2026-10-02 16:00")
    assert result.exit_code == 1 and "has no UTC offset" in result.output
