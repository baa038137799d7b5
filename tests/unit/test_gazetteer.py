"""The gazetteer without a database: how places are phrased, demo camera names, the loader's column."""

from __future__ import annotations

import geopandas as gpd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from hexops.democity import scenarios
from hexops.democity.gazetteer import build_places
from hexops.geodata.errors import LoadError
from hexops.geodata.gazetteer import place_phrase
from hexops.ingest.reference_layers import MAX_LOCATION_NAME, validate_cameras


def test_a_point_is_named_by_the_place_its_distance_and_its_compass_direction():
    assert place_phrase("Kowloon Park", 183.0, 312.0) == "Kowloon Park, 180 m north-west"
    assert place_phrase("Tai O", 2450.0, 90.0) == "Tai O, 2.5 km east"
    assert place_phrase("Victoria Park", 20.0, 180.0) == "Victoria Park"          # at the place
    assert place_phrase(None, None, None) == "unnamed place"


@given(bearing=st.floats(-720, 720), metres=st.floats(60, 50_000))
def test_every_bearing_reads_as_one_of_the_eight_compass_points(bearing, metres):
    direction = place_phrase("X", metres, bearing).rsplit(" ", 1)[-1]
    assert direction in {"north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"}


def test_the_demo_gazetteer_names_every_zone_and_low_lying_place_and_has_unique_names_per_kind():
    places = build_places()
    assert not places.duplicated(["name", "kind"]).any()
    names = set(places["name"])
    assert {z.name for z in scenarios.FIREWORKS.zones} <= names
    assert {p.name for p in scenarios.LOW_LYING} <= names
    assert places["rank"].between(1, 3).all()


def test_every_demo_camera_has_a_location_name_and_scenario_cameras_carry_their_place(small_city):
    cams = small_city.cameras.set_index("camera_id")
    assert cams["location_name"].str.len().gt(0).all()
    zone = scenarios.FIREWORKS.zones[0]
    assert cams.loc[f"LCSD-{zone.zone_id}-01", "location_name"] == zone.name
    place = scenarios.LOW_LYING[0]
    assert cams.loc[f"{place.owner_code}-{place.place_id}-1", "location_name"] == place.name


def _cameras(**columns):
    n = len(next(iter(columns.values())))
    return gpd.GeoDataFrame({"camera_id": [f"HKPF-{i}" for i in range(n)], "owner_code": ["HKPF"] * n, **columns},
                            geometry=[Point(114.17, 22.30)] * n, crs="EPSG:4326")


def test_a_cameras_file_may_carry_location_names_and_they_are_kept_trimmed():
    out = validate_cameras("c.csv", _cameras(location_name=["  Nathan Road outside Mong Kok station ", ""]),
                           {"HKPF"})
    assert list(out["location_name"]) == ["Nathan Road outside Mong Kok station", ""]


@settings(max_examples=30, deadline=None)
@given(extra=st.integers(1, 500))
def test_a_location_name_too_long_is_refused_naming_its_row_and_field(extra):
    with pytest.raises(LoadError) as info:
        validate_cameras("c.csv", _cameras(location_name=["ok", "x" * (MAX_LOCATION_NAME + extra)]), {"HKPF"})
    assert info.value.problems == [f"row 2, field location_name: at most {MAX_LOCATION_NAME} characters, "
                                   f"got {MAX_LOCATION_NAME + extra}"]


def test_a_location_name_with_control_characters_is_refused():
    with pytest.raises(LoadError) as info:
        validate_cameras("c.csv", _cameras(location_name=["Nathan\x00Road"]), {"HKPF"})
    assert "row 1, field location_name: control characters" in info.value.problems[0]
