"""Validating rainfall readings and polygon layers: every bad value is named, nothing partial comes back."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hexops.geodata.errors import LoadError
from hexops.ingest.reference_files import read_zones, validate_rainfall
from hexops.services.clock import time_shown

GOOD = {"station_id": "G1", "observed_at": "2026-10-02T07:30:00+00:00", "mm_per_h": "42.5", "district_code": "H"}


def _label(i):
    return f"readings[{i}]"


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0, max_value=499.9, allow_nan=False))
def test_any_rate_from_zero_to_below_500_mm_per_hour_is_accepted(rate):
    frame = validate_rainfall([dict(GOOD, mm_per_h=rate)], "body", _label)
    assert frame.loc[0, "mm_per_h"] == pytest.approx(rate)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.floats(max_value=-0.001), st.floats(min_value=500), st.text(max_size=5).filter(
    lambda t: not t.strip().lstrip("+-").replace(".", "", 1).isdigit())))
def test_a_negative_huge_or_non_numeric_rate_is_refused_by_index_and_field(rate):
    with pytest.raises(LoadError) as err:
        validate_rainfall([GOOD, dict(GOOD, mm_per_h=rate)], "body", _label)
    assert err.value.problems and all(p.startswith("readings[1], field mm_per_h") for p in err.value.problems)


def test_a_time_without_an_offset_is_refused_because_its_zone_would_be_a_guess():
    with pytest.raises(LoadError, match=r"readings\[0\], field observed_at"):
        validate_rainfall([dict(GOOD, observed_at="2026-10-02 07:30")], "body", _label)


def test_a_reading_needs_a_district_or_a_position():
    with pytest.raises(LoadError, match="give a district_code or lon and lat"):
        validate_rainfall([dict(GOOD, district_code="")], "body", _label)


def test_every_problem_of_every_row_is_listed_at_once():
    with pytest.raises(LoadError) as err:
        validate_rainfall([dict(GOOD, station_id=""), dict(GOOD, lon="200", lat="22.3", district_code=None)],
                          "body", _label)
    assert err.value.problems == ["readings[0], field station_id: missing",
                                  "readings[1], field lon: '200' must be a longitude"]


def test_a_zone_file_in_hk1980_grid_is_converted_and_measured_in_square_metres(tmp_path):
    square = [[[835000, 818000], [835100, 818000], [835100, 818050], [835000, 818050], [835000, 818000]]]
    doc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2326"}},
           "features": [{"type": "Feature", "properties": {"zone_id": "Z", "name": "Z", "capacity": 10},
                         "geometry": {"type": "Polygon", "coordinates": square}}]}
    path = tmp_path / "z.geojson"
    path.write_text(json.dumps(doc))
    zones = read_zones(path)
    assert zones.loc[0, "area_m2"] == pytest.approx(5000.0, rel=1e-3)
    assert 113.8 < zones.loc[0, "geometry"].centroid.x < 114.5


def test_a_repeated_zone_id_is_named_with_the_row_it_repeats(tmp_path):
    feature = {"type": "Feature", "properties": {"zone_id": "Z", "name": "Z", "capacity": 10},
               "geometry": {"type": "Polygon", "coordinates": [[[114.17, 22.29], [114.171, 22.29], [114.171, 22.291],
                                                                [114.17, 22.29]]]}}
    path = tmp_path / "z.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature, feature]}))
    with pytest.raises(LoadError, match="row 2, field zone_id: 'Z' repeats row 1"):
        read_zones(path)


LATEST = datetime(2026, 10, 2, 11, 30, tzinfo=timezone.utc)


def test_the_page_time_is_the_latest_data_unless_replayed_or_pinned():
    assert time_shown(LATEST, 0, None) == (LATEST, "live")
    assert time_shown(LATEST, -60, "2026-10-01T13:00:00Z")[0] == datetime(2026, 10, 2, 10, 30, tzinfo=timezone.utc)
    assert time_shown(LATEST, 0, "2026-10-01T21:00:00+08:00") == (datetime(2026, 10, 1, 13, tzinfo=timezone.utc),
                                                                   "replay link")
    assert time_shown(LATEST, 0, "2030-01-01T00:00:00Z") == (LATEST, "replay link")
    assert time_shown(LATEST, 0, "not a time") == (LATEST, "live")
