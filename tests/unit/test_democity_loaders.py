"""File validation of the loaders, without a database (properties with hypothesis)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from hexops.geodata.errors import LoadError
from hexops.ingest.reference_layers import read_features, validate_cameras

DEPARTMENTS = {"HKPF", "HD", "TD", "LCSD", "ImmD"}

ids = st.lists(st.from_regex(r"[A-Z]{2,4}-[0-9]{1,5}", fullmatch=True), min_size=1, max_size=30, unique=True)
hk_points = st.tuples(st.floats(113.90, 114.35), st.floats(22.20, 22.52))


def _frame(camera_ids, points, crs="EPSG:4326"):
    return gpd.GeoDataFrame({"camera_id": camera_ids, "owner_code": ["HKPF"] * len(camera_ids)},
                            geometry=[Point(p) for p in points], crs="EPSG:4326").to_crs(crs)


@settings(max_examples=40, deadline=None)
@given(camera_ids=ids, data=st.data())
def test_a_repeated_camera_id_is_reported_at_the_row_that_repeats_it(camera_ids, data):
    first = data.draw(st.integers(0, len(camera_ids) - 1))
    at = data.draw(st.integers(first + 1, len(camera_ids)))
    with_dup = camera_ids[:at] + [camera_ids[first]] + camera_ids[at:]
    frame = _frame(with_dup, [(114.17, 22.30)] * len(with_dup))
    with pytest.raises(LoadError) as info:
        validate_cameras("f.csv", frame, DEPARTMENTS)
    assert info.value.problems == [f"row {at + 1}, field camera_id: duplicate of row {first + 1} ({camera_ids[first]!r})"]


@settings(max_examples=40, deadline=None)
@given(points=st.lists(hk_points, min_size=1, max_size=20))
def test_hk1980_points_come_back_where_they_were_in_wgs84(points):
    frame = _frame([f"C-{i}" for i in range(len(points))], points, crs="EPSG:2326")
    out = validate_cameras("f.gpkg", frame, DEPARTMENTS)
    assert out.crs.to_epsg() == 4326
    np.testing.assert_allclose(np.c_[out.geometry.x, out.geometry.y], np.array(points), atol=1e-7)


@settings(max_examples=40, deadline=None)
@given(inside=st.lists(hk_points, min_size=1, max_size=10),
       outside=st.tuples(st.floats(-170, 170), st.floats(-80, 80)).filter(
           lambda p: not (113.8 <= p[0] <= 114.45 and 22.13 <= p[1] <= 22.58)),
       data=st.data())
def test_a_point_outside_the_city_is_named_by_its_row(inside, outside, data):
    where = data.draw(st.integers(0, len(inside)))
    points = inside[:where] + [outside] + inside[where:]
    frame = _frame([f"C-{i}" for i in range(len(points))], points)
    with pytest.raises(LoadError) as info:
        validate_cameras("f.geojson", frame, DEPARTMENTS)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith(f"row {where + 1}, field geometry: outside the city")


def test_a_csv_without_coordinates_names_the_columns_it_needs(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("camera_id,owner_code,where\nC1,HKPF,Central\n")
    with pytest.raises(LoadError, match=r"columns lat/lon \(EPSG:4326\) or x/y \(EPSG:2326\): missing"):
        read_features(path)


def test_a_missing_file_is_a_load_error(tmp_path):
    with pytest.raises(LoadError, match="does not exist"):
        read_features(tmp_path / "nope.geojson")


def test_an_unreadable_file_is_a_load_error(tmp_path):
    path = tmp_path / "junk.geojson"
    path.write_text("{ this is not json")
    with pytest.raises(LoadError, match="cannot be read"):
        read_features(path)
