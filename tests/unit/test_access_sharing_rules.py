"""Pure sharing rules: k-suppression, zoom to H3 resolution, OGC parameter parsing."""

from __future__ import annotations

from datetime import timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hexops.analytics.sharing import resolution_for_zoom, suppress
from hexops.settings import Settings
from hexops.dashboard.api._ogc_params import ParameterError, parse_bbox, parse_datetime, parse_int


@given(st.floats(min_value=0, max_value=1e6), st.integers(min_value=1, max_value=100))
def test_a_published_count_is_never_below_k(value, k):
    published = suppress(value, k)
    assert published is None or published >= k


@given(st.floats(min_value=0, max_value=1e6), st.integers(min_value=1, max_value=100))
def test_a_count_is_withheld_exactly_when_it_rounds_below_k(value, k):
    assert (suppress(value, k) is None) == (round(value) < k)


def test_k_defaults_to_5_and_rejects_nonsense():
    assert Settings.from_env({}).k_anonymity == 5
    assert Settings.from_env({"HEXOPS_K_ANONYMITY": "10"}).k_anonymity == 10
    with pytest.raises(ValueError, match="HEXOPS_K_ANONYMITY"):
        Settings.from_env({"HEXOPS_K_ANONYMITY": "0"})


@given(st.integers(min_value=0, max_value=23))
def test_zooming_in_never_coarsens_the_resolution(zoom):
    assert resolution_for_zoom(zoom) <= resolution_for_zoom(zoom + 1)
    assert resolution_for_zoom(zoom) in (8, 9, 10)


_lon = st.floats(min_value=-180, max_value=180)
_lat = st.floats(min_value=-90, max_value=90)


@given(_lon, _lat, _lon, _lat)
def test_a_bbox_parses_when_ordered_and_is_refused_naming_bbox_otherwise(x1, y1, x2, y2):
    text = f"{x1!r},{y1!r},{x2!r},{y2!r}"
    if x1 <= x2 and y1 <= y2:
        assert parse_bbox(text) == (x1, y1, x2, y2)
    else:
        with pytest.raises(ParameterError, match="^bbox:"):
            parse_bbox(text)


@given(st.text(max_size=30))
def test_any_text_as_bbox_either_parses_or_raises_a_parameter_error(text):
    try:
        parse_bbox(text)
    except ParameterError as exc:
        assert str(exc).startswith("bbox:")


def test_datetime_accepts_instants_and_open_intervals_in_utc():
    start, end = parse_datetime("2026-11-21T10:00:00Z/..")
    assert start.tzinfo == timezone.utc and end is None
    instant = parse_datetime("2026-11-21T18:00:00+08:00")
    assert instant[0] == instant[1]


def test_an_interval_ending_before_it_starts_is_refused():
    with pytest.raises(ParameterError, match="^datetime:"):
        parse_datetime("2026-11-22T00:00:00Z/2026-11-21T00:00:00Z")


def test_limit_outside_its_range_is_refused_with_its_name():
    with pytest.raises(ParameterError, match="^limit: must lie in 1..1000"):
        parse_int("5000", "limit", 100, 1, 1000)

