"""The OGC API's parameter parsers, the CQL2 compiler and the origin normaliser, on any input (issue 15).

Every bad value is a 400 naming its parameter, never another exception; a
compiled filter carries every value as a bound parameter, never in its SQL.
"""

from __future__ import annotations

import json
from datetime import timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg import sql

from hexops.city import HONG_KONG
from hexops.dashboard.api._ogc_crs import parse_crs
from hexops.dashboard.api._ogc_filter import parse_filter, parse_sortby
from hexops.dashboard.api._ogc_params import (ParameterError, encode_cursor, parse_bbox, parse_cursor,
                                              parse_datetime, parse_limit)
from hexops.errors import InputError
from hexops.geodata.sharing_cql import FilterError, compile_filter
from hexops.services.cors_origins import OriginError, normalise

FIELDS = {"state": "string", "people": "number", "bucket_start": "date-time", "suppressed": "boolean",
          "day": "date"}
finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6)


@given(st.text(max_size=60))
def test_any_bbox_text_parses_or_is_a_400_naming_bbox(text):
    try:
        parsed = parse_bbox(text)
    except ParameterError as exc:
        assert str(exc).startswith("bbox:")
    else:
        assert parsed is None or (parsed[0] <= parsed[2] and parsed[1] <= parsed[3])


@given(st.lists(finite, min_size=4, max_size=4))
def test_a_bbox_in_latitude_first_order_is_the_same_box_swapped(numbers):
    a, b, c, d = numbers
    try:
        swapped = parse_bbox(f"{b},{a},{d},{c}", swap_axes=True, geographic=False)
    except ParameterError:
        return
    assert swapped == parse_bbox(f"{a},{b},{c},{d}", geographic=False)


@given(st.text(max_size=40))
def test_any_datetime_text_parses_to_an_ordered_utc_aware_interval_or_a_400(text):
    try:
        start, end = parse_datetime(text)
    except ParameterError as exc:
        assert str(exc).startswith("datetime:")
        return
    for value in (start, end):
        assert value is None or value.tzinfo is not None
    if start is not None and end is not None:
        assert start <= end


@given(st.dates())
def test_a_date_covers_its_whole_utc_day(day):
    start, end = parse_datetime(day.isoformat())
    assert (start.date(), end.date(), start.tzinfo, end.hour, end.minute) == (day, day, timezone.utc, 23, 59)


@given(st.integers(min_value=-10, max_value=10**9))
def test_limit_is_capped_not_refused_above_the_maximum(value):
    if value < 1:
        with pytest.raises(ParameterError, match="^limit:"):
            parse_limit(str(value))
    else:
        assert parse_limit(str(value)) == min(value, 1000)


@given(st.lists(st.one_of(st.none(), st.booleans(), finite, st.text(max_size=20)), max_size=6), st.text(max_size=20))
def test_a_cursor_round_trips_and_anything_else_is_a_400(values, fid):
    assert parse_cursor(encode_cursor((*values, fid))) == (*values, fid)


@given(st.text(max_size=60))
def test_any_cursor_text_parses_or_is_a_400_naming_cursor(text):
    try:
        parse_cursor(text)
    except ParameterError as exc:
        assert str(exc).startswith("cursor:")


@given(st.text(max_size=60))
def test_any_sortby_parses_to_names_or_is_a_400(text):
    try:
        keys = parse_sortby(text)
    except ParameterError as exc:
        assert str(exc).startswith("sortby:")
    else:
        assert all(name.isidentifier() for name, _ in keys)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80), st.sampled_from([None, "cql2-text", "cql2-json", "cql-text"]))
def test_any_filter_text_parses_or_is_a_400_and_any_parse_compiles_or_is_a_400(text, language):
    try:
        node = parse_filter(text, language)
    except ParameterError as exc:
        assert str(exc).startswith(("filter:", "filter-lang:"))
        return
    if node is None:
        return
    try:
        compile_filter(node, FIELDS)
    except InputError as exc:
        assert exc.field == "filter"


def _sql_text(composable) -> str:
    """The statement text a Composed becomes (placeholders as %(name)s): what PostgreSQL parses."""
    return composable.as_string(None)


@settings(deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF, exclude_characters="'"), max_size=30),
       finite)
def test_compiled_filters_carry_every_value_and_name_as_a_bound_parameter(text, number):
    marked = f"zq{text}"
    condition, params = compile_filter(
        parse_filter(f"state = '{marked}' AND people > {number!r} AND bucket_start < TIMESTAMP('2026-11-20T08:00:00Z')",
                     None), FIELDS)
    statement = _sql_text(condition)
    assert "zq" not in statement and "state" not in statement and "people" not in statement
    assert {"state", "people", "bucket_start", marked, float(number)} <= set(params.values())


def test_a_filter_naming_a_property_outside_the_queryables_is_refused_naming_it():
    with pytest.raises(FilterError, match="camera_seconds"):
        compile_filter(parse_filter("camera_seconds > 0", None), FIELDS)
    with pytest.raises(FilterError, match="not supported"):
        compile_filter(parse_filter("people + 1 > 3", None), FIELDS)


def test_a_cql2_json_bbox_keeps_its_corners():
    import shapely

    node = parse_filter(json.dumps({"op": "s_intersects", "args": [{"property": "geometry"},
                                                                  {"bbox": [114.1, 22.3, 114.2, 22.4]}]}),
                        "cql2-json")
    condition, params = compile_filter(node, FIELDS)
    polygon = shapely.from_wkb(next(v for v in params.values() if isinstance(v, bytes)))
    assert polygon.bounds == (114.1, 22.3, 114.2, 22.4)
    assert isinstance(condition, sql.Composable)


@pytest.mark.parametrize("text, srid, swap", [
    (None, 4326, False), ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", 4326, False),
    ("http://www.opengis.net/def/crs/EPSG/0/4326", 4326, True), ("EPSG:2326", 2326, True),
    ("[EPSG:2326]", 2326, True), ("urn:ogc:def:crs:EPSG::2326", 2326, True)])
def test_crs_names_resolve_to_the_served_crs_with_its_axis_order(text, srid, swap):
    crs = parse_crs(text, "crs", HONG_KONG)
    assert (crs.srid, crs.swap_axes) == (srid, swap)


@given(st.text(max_size=40))
def test_any_origin_text_normalises_to_a_browser_origin_or_is_refused_naming_origin(text):
    try:
        origin = normalise(text)
    except OriginError as exc:
        assert str(exc).startswith("origin:")
    else:
        assert normalise(origin) == origin and origin == origin.lower() and "/" not in origin.split("://", 1)[1]


def test_geometry_literals_are_made_valid_and_refused_outside_the_filter_crs():
    bowtie = "S_INTERSECTS(geometry, POLYGON((114 22, 114.1 22.1, 114.1 22, 114 22.1, 114 22)))"
    condition, params = compile_filter(parse_filter(bowtie, None), FIELDS)
    assert any(isinstance(v, bytes) for v in params.values())
    grid = parse_crs("EPSG:2326", "filter-crs", HONG_KONG)
    with pytest.raises(FilterError, match="outside"):
        compile_filter(parse_filter("S_INTERSECTS(geometry, POINT(1e300 5))", None), FIELDS, srid=grid.srid,
                       swap_axes=grid.swap_axes, bounds=grid.bounds)
    with pytest.raises(FilterError, match="outside"):
        compile_filter(parse_filter("S_INTERSECTS(geometry, POINT(200 95))", None), FIELDS)


def test_the_last_day_of_the_calendar_is_a_day_like_any_other():
    start, end = parse_datetime("9999-12-31")
    assert (start.year, end.year, end.hour) == (9999, 9999, 23)
    with pytest.raises(ParameterError, match="^bbox:"):
        grid = parse_crs("EPSG:2326", "bbox-crs", HONG_KONG)
        parse_bbox("1e300,0,1e301,1", grid.geographic, grid.swap_axes, grid.bounds)
