"""One time and duration parser for every entry point: bad input is refused naming its field."""

import re
from datetime import timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hexops.errors import InputError
from hexops.times import parse_duration, parse_instant, parse_local_date


@given(st.integers(min_value=1, max_value=10_000), st.sampled_from("smhd"))
def test_every_whole_duration_parses_to_its_seconds(n, unit):
    assert parse_duration(f"{n}{unit}", "--every").total_seconds() == n * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


@given(st.text(max_size=12).filter(lambda t: not re.match(r"^\s*\d+(\.\d+)?[smhd]\s*$", t)))
def test_anything_else_is_refused_naming_the_option(text):
    with pytest.raises(InputError, match="--every"):
        parse_duration(text, "--every")


def test_times_without_an_offset_are_refused_and_z_means_utc():
    with pytest.raises(InputError, match="--now: .* needs a UTC offset"):
        parse_instant("2026-11-21T10:00:00", "--now")
    assert parse_instant("2026-11-21T10:00:00Z", "--now").utcoffset().total_seconds() == 0


def test_a_plus_turned_into_a_space_by_a_url_decoder_is_mended():
    assert parse_instant("2026-10-01T21:00 08:00", "at") == parse_instant("2026-10-01T13:00Z", "at")


def test_a_bare_date_is_refused_unless_the_caller_asks_for_the_start_of_the_local_day():
    with pytest.raises(InputError, match="until: '2026-10-01' is a date"):
        parse_instant("2026-10-01", "until")
    start = parse_instant("2026-10-01", "until", date_only="start")
    assert start.tzinfo is timezone.utc and start.isoformat() == "2026-09-30T16:00:00+00:00"


@given(st.text(max_size=30))
def test_any_text_is_either_a_utc_time_or_an_error_naming_the_field(text):
    try:
        parsed = parse_instant(text, "datetime")
    except InputError as exc:
        assert exc.field == "datetime" and str(exc).startswith("datetime: ")
    else:
        assert parsed is None or parsed.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "1899-12-31T23:00Z",
                                  "3000-01-01T00:00Z"])
def test_a_time_outside_the_years_hexops_stores_is_refused_naming_the_field(text):
    with pytest.raises(InputError, match="at: .* outside the years 1900-2999"):
        parse_instant(text, "at")


def test_a_date_at_either_end_of_the_calendar_is_refused_not_overflowed():
    with pytest.raises(InputError, match="outside the years"):
        parse_instant("0001-01-01", "day", date_only="start")
    with pytest.raises(InputError, match="outside the years"):
        parse_local_date("9999-12-31", "day")
