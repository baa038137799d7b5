"""``hexops load districts|cameras``: good files load, bad files are refused whole."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import psycopg
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import MultiPolygon, Point, Polygon

from hexops.cli import build_cli
from hexops.geodata import h3cells, hexgrid, reference
from hexops.geodata.errors import LoadError
from hexops.geodata.uow import UnitOfWork
from hexops.services.reference import load_cameras, load_districts


@pytest.fixture(scope="module")
def city_db(loaded_small_city_db):
    """The small city in a database of this module's own."""
    return loaded_small_city_db


def _camera_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return reference.table_counts(conn)["cameras"]


def _write_csv(path, header: str, *lines: str):
    path.write_text("\n".join((header,) + lines) + "\n", encoding="utf-8")
    return path


def _polygons(geom) -> MultiPolygon:
    return MultiPolygon([g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"])


def _load(url, loader, path, **kw):
    return loader(UnitOfWork.for_url(url), path, **kw)


def test_a_csv_of_cameras_with_lat_lon_loads_with_cells_and_districts(city_db, tmp_path):
    path = _write_csv(tmp_path / "cams.csv", "camera_id,owner_code,kind,lat,lon",
                      "T-LL-1,HKPF,street,22.2800,114.1580", "T-LL-2,TD,tunnel_portal,22.3010,114.1820")
    summary = _load(city_db, load_cameras, path)
    assert summary.rows == 2
    with psycopg.connect(city_db) as conn:
        row = conn.execute("SELECT district_code, h3_r9, ST_Y(location) FROM cameras WHERE camera_id = 'T-LL-1'").fetchone()
    assert row[0] == "A"
    assert row[1] == h3cells.latlng_to_cells([22.28], [114.158], 9)[0]
    assert row[2] == pytest.approx(22.28)


def test_hk1980_grid_coordinates_are_converted_to_wgs84(city_db, tmp_path):
    # The HK1980 Grid origin region: Central is near E 833,900 N 816,200.
    points = gpd.GeoSeries([Point(114.1580, 22.2800)], crs="EPSG:4326").to_crs("EPSG:2326")
    path = _write_csv(tmp_path / "grid.csv", "camera_id,owner_code,x,y",
                      f"T-XY-1,HKPF,{points.x[0]:.3f},{points.y[0]:.3f}")
    _load(city_db, load_cameras, path)
    with psycopg.connect(city_db) as conn:
        lon, lat = conn.execute("SELECT ST_X(location), ST_Y(location) FROM cameras WHERE camera_id = 'T-XY-1'").fetchone()
    assert lon == pytest.approx(114.1580, abs=1e-6)
    assert lat == pytest.approx(22.2800, abs=1e-6)


def test_a_geopackage_of_cameras_with_heading_and_range_gets_a_field_of_view(city_db, tmp_path):
    frame = gpd.GeoDataFrame({"camera_id": ["T-GPKG-1"], "owner_code": ["LCSD"], "heading_deg": [90.0],
                              "range_m": [30.0], "angle_deg": [60.0]},
                             geometry=[Point(114.17, 22.30)], crs="EPSG:4326").to_crs("EPSG:2326")
    frame.to_file(tmp_path / "cams.gpkg", driver="GPKG")
    _load(city_db, load_cameras, tmp_path / "cams.gpkg")
    with psycopg.connect(city_db) as conn:
        area, valid = conn.execute("SELECT fov_area_m2, ST_IsValid(fov) FROM cameras WHERE camera_id = 'T-GPKG-1'").fetchone()
    # A 60-degree sector from 3 m to 30 m: pi/6 * (30^2 - 3^2) / ... = 466.5 m2.
    assert area == pytest.approx(466.5, rel=0.01)
    assert valid


BAD_CAMERA_FILES = {
    "missing_column": (("camera_id,lat,lon", "C1,22.28,114.15"), "column owner_code: missing"),
    "duplicate_id": (("camera_id,owner_code,lat,lon", "C1,HKPF,22.28,114.15", "C2,HKPF,22.29,114.16",
                      "C1,HKPF,22.30,114.17"), "row 3, field camera_id: duplicate of row 1"),
    "outside_city": (("camera_id,owner_code,lat,lon", "C1,HKPF,22.28,114.15", "C2,HKPF,51.50,-0.12"),
                     "row 2, field geometry: outside the city"),
    "not_a_number": (("camera_id,owner_code,lat,lon", "C1,HKPF,22.28,114.15", "C2,HKPF,north,114.16"),
                     "row 2, field lat: not a number"),
    "unknown_owner": (("camera_id,owner_code,lat,lon", "C1,HKPF,22.28,114.15", "C2,MI6,22.29,114.16"),
                      "row 2, field owner_code: unknown department 'MI6'"),
    "bad_status": (("camera_id,owner_code,status,lat,lon", "C1,HKPF,broken,22.28,114.15"),
                   "row 1, field status: 'broken' is not one of"),
    "xy_in_degrees": (("camera_id,owner_code,x,y", "C1,HKPF,114.15,22.28"), "row 1, field geometry: outside the city"),
    "bad_range": (("camera_id,owner_code,heading_deg,range_m,lat,lon", "C1,HKPF,90,-5,22.28,114.15"),
                  "row 1, field range_m: must be a number"),
}


@pytest.mark.parametrize("case", sorted(BAD_CAMERA_FILES))
def test_a_bad_camera_file_is_refused_naming_row_and_field_and_loads_nothing(city_db, tmp_path, case):
    lines, expected = BAD_CAMERA_FILES[case]
    path = _write_csv(tmp_path / f"{case}.csv", *lines)
    before = _camera_count(city_db)
    with pytest.raises(LoadError) as info:
        _load(city_db, load_cameras, path)
    assert expected in str(info.value)
    assert str(path) in str(info.value)
    assert _camera_count(city_db) == before


def test_geojson_in_metres_declared_as_degrees_is_a_wrong_crs(city_db, tmp_path):
    path = tmp_path / "wrong.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                    '"properties": {"camera_id": "W1", "owner_code": "HKPF"}, '
                    '"geometry": {"type": "Point", "coordinates": [833900.0, 816200.0]}}]}')
    with pytest.raises(LoadError, match="coordinates look projected"):
        _load(city_db, load_cameras, path)


def test_a_geopackage_without_a_crs_is_refused_unless_one_is_given(city_db, tmp_path):
    frame = gpd.GeoDataFrame({"camera_id": ["N1"], "owner_code": ["HD"]}, geometry=[Point(833900.0, 816200.0)])
    frame.to_file(tmp_path / "nocrs.gpkg", driver="GPKG")
    with pytest.raises(LoadError, match="declares no CRS"):
        _load(city_db, load_cameras, tmp_path / "nocrs.gpkg")
    assert _load(city_db, load_cameras, tmp_path / "nocrs.gpkg", crs="EPSG:2326").rows == 1


def test_an_invalid_district_polygon_is_refused_and_the_districts_stay(city_db, tmp_path):
    bowtie = Polygon([(114.10, 22.30), (114.20, 22.40), (114.20, 22.30), (114.10, 22.40)])
    good = Polygon([(114.10, 22.20), (114.20, 22.20), (114.20, 22.25), (114.10, 22.25)])
    gpd.GeoDataFrame({"code": ["X", "Y"], "name_en": ["Good", "Bowtie"]}, geometry=[good, bowtie],
                     crs="EPSG:4326").to_file(tmp_path / "bad.geojson", driver="GeoJSON")
    with pytest.raises(LoadError, match=r"row 2, field geometry: invalid \(Self-intersection"):
        _load(city_db, load_districts, tmp_path / "bad.geojson")
    with psycopg.connect(city_db) as conn:
        assert len(reference.district_codes(conn)) == 18


def test_duplicate_district_codes_are_refused(city_db, tmp_path):
    square = Polygon([(114.10, 22.20), (114.20, 22.20), (114.20, 22.25), (114.10, 22.25)])
    gpd.GeoDataFrame({"DC_CODE": ["A", "A"], "DC_ENG": ["One", "Two"]}, geometry=[square, square],
                     crs="EPSG:4326").to_file(tmp_path / "dup.geojson", driver="GeoJSON")
    with pytest.raises(LoadError, match="row 2, field DC_CODE: duplicate of row 1"):
        _load(city_db, load_districts, tmp_path / "dup.geojson")


def test_new_districts_in_hk1980_replace_the_old_and_every_hex_is_reassigned(small_city_db, small_city, tmp_path):
    db_url = small_city_db
    west, east = (_polygons(small_city.land.intersection(shapely.box(*b)))
                  for b in ((113.0, 22.0, 114.15, 23.0), (114.15, 22.0, 115.0, 23.0)))
    gpd.GeoDataFrame({"code": ["WEST", "EAST"], "name_en": ["West", "East"], "name_zh": ["西", "東"]},
                     geometry=[west, east], crs="EPSG:4326").to_crs("EPSG:2326").to_file(
        tmp_path / "two.gpkg", driver="GPKG")
    summary = _load(db_url, load_districts, tmp_path / "two.gpkg")
    assert (summary.rows, summary.removed) == (2, 18)
    with psycopg.connect(db_url) as conn:
        assert reference.district_codes(conn) == ["EAST", "WEST"]
        assert hexgrid.hexes_without_district(conn) == 0
        cams = dict(conn.execute("SELECT camera_id, district_code FROM cameras").fetchall())
    assert cams["LCSD-TST-01"] == "EAST"
    assert cams["HKPF-TAO-1"] == "WEST"


def test_the_cli_reports_a_bad_file_as_an_error_and_lists_cameras(city_db, tmp_path):
    bad = _write_csv(tmp_path / "bad.csv", "camera_id,owner_code,lat,lon", "C1,HKPF,51.5,-0.12")
    env = {"HEXOPS_DATABASE_URL": city_db}
    result = CliRunner().invoke(build_cli(), ["load", "cameras", str(bad)], env=env)
    assert result.exit_code == 1
    assert "row 1, field geometry: outside the city" in result.output
    listed = CliRunner().invoke(build_cli(), ["cameras", "list", "--limit", "3"], env=env)
    assert listed.exit_code == 0, listed.output
    assert listed.output.strip().endswith("3 camera(s)")
    ids = CliRunner().invoke(build_cli(), ["cameras", "list", "--ids-only"], env=env).output.split()
    assert "LCSD-TST-01" in ids and "HKPF-LONE-TM" in ids
    assert ids == sorted(ids)


def test_a_generated_city_file_loads_back_with_the_same_fields_of_view(city_db, small_city, tmp_path):
    result = CliRunner().invoke(build_cli(), ["city", "generate", str(tmp_path), "--cameras", "300"])
    assert result.exit_code == 0, result.output
    summary = _load(city_db, load_cameras, tmp_path / "cameras.geojson")
    assert summary.rows == 300
    with psycopg.connect(city_db) as conn:
        areas = dict(conn.execute("SELECT camera_id, fov_area_m2 FROM cameras").fetchall())
    expected = dict(zip(small_city.cameras["camera_id"], small_city.cameras["fov_area_m2"]))
    assert all(areas[c] == pytest.approx(a, rel=1e-6) for c, a in expected.items())


REAL_DISTRICTS = Path(__file__).resolve().parents[3] / "shared" / "data" / "hk" / "districts_2001.geojson"


@pytest.mark.skipif(not REAL_DISTRICTS.exists(),
                    reason=f"the real district boundaries are not on this machine ({REAL_DISTRICTS}); optional check")
def test_the_real_district_boundaries_load_over_the_demo_ones(small_city_db):
    summary = _load(small_city_db, load_districts, REAL_DISTRICTS)
    assert (summary.rows, summary.removed) == (18, 0)
    with psycopg.connect(small_city_db) as conn:
        assert hexgrid.hexes_without_district(conn) == 0
        lone = conn.execute("SELECT district_code FROM cameras WHERE camera_id = 'HKPF-LONE-TM'").fetchone()[0]
    assert lone == "L"


def test_the_cli_refuses_a_districts_file_without_names(city_db, tmp_path):
    square = Polygon([(114.10, 22.20), (114.20, 22.20), (114.20, 22.25), (114.10, 22.25)])
    gpd.GeoDataFrame({"code": ["Z"]}, geometry=[square], crs="EPSG:4326").to_file(tmp_path / "d.geojson")
    result = CliRunner().invoke(build_cli(), ["load", "districts", str(tmp_path / "d.geojson")],
                                env={"HEXOPS_DATABASE_URL": city_db})
    assert result.exit_code == 1
    assert "column name_en: missing" in result.output
