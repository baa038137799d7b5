"""The rules of typed form values (hexops.services.validation): a clean value or a refusal naming the field."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hexops.errors import InputError
from hexops.services import validation
from hexops.services.validation import FieldError

TODAY = date(2026, 12, 1)
anything = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=60),
                     st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@given(anything)
def test_a_whole_number_rule_gives_a_number_in_range_or_a_400_naming_its_field_on_any_input(value):
    try:
        got = validation.whole_number(value, "units", low=1, high=200)
    except FieldError as exc:
        assert isinstance(exc, InputError) and exc.status == 400 and exc.field == "units"
        assert "1" in exc.sentence and "200" in exc.sentence  # it says what is allowed
        return
    assert isinstance(got, int) and 1 <= got <= 200


@given(st.integers(min_value=1, max_value=200))
def test_every_whole_number_in_range_is_accepted_typed_as_text_with_spaces_or_as_a_float(n):
    assert validation.patrol_units(f" {n} ") == n == validation.patrol_units(float(n)) == validation.patrol_units(n)


@pytest.mark.parametrize(("typed", "words"), [
    ("99999", "at most 200"), ("0", "at least 1"), ("-5", "at least 1"), ("", "Required"), (None, "Required"),
    ("1.5", "no fractions"), ("six", "whole number"), ("1e12", "at most"), ("nan", "whole number"),
    ("inf", "whole number")])
def test_each_bad_patrol_unit_count_from_the_issue_is_refused_with_what_is_allowed(typed, words):
    with pytest.raises(FieldError) as refused:
        validation.patrol_units(typed, "commander-plan-units")
    assert refused.value.field == "commander-plan-units" and words in refused.value.sentence


@pytest.mark.parametrize(("typed", "words"), [
    ("0", "at least 1"), ("-10", "at least 1"), ("12.5", "no fractions"), ("1e12", "at most 1000000"),
    (1e12, "at most 1000000"), ("", "Required")])
def test_each_bad_zone_capacity_from_the_issue_is_refused_with_its_own_reason(typed, words):
    with pytest.raises(FieldError) as refused:
        validation.zone_capacity(typed)
    assert refused.value.field == "capacity" and words in refused.value.sentence


def test_a_grant_id_of_one_and_a_half_is_refused_not_rounded_to_grant_one():
    with pytest.raises(FieldError, match="no fractions"):
        validation.record_id("1.5", "grant_id")
    assert validation.record_id("12", "grant_id") == 12


@given(st.text(max_size=700))
def test_text_is_accepted_up_to_its_limit_and_refused_past_it_saying_how_long_it_was(text):
    try:
        got = validation.text(text, "reason")
    except FieldError as exc:
        assert exc.field == "reason"
        assert len(text) > validation.MAX_TEXT_CHARS or any(ord(c) < 32 and c not in "\t\n" or ord(c) == 127
                                                            for c in text)
        return
    assert got is None or (len(got) <= validation.MAX_TEXT_CHARS and got == text.strip())


def test_a_three_thousand_character_reason_is_refused_saying_both_lengths():
    with pytest.raises(FieldError) as refused:
        validation.text("r" * 3000, "reason")
    assert "3000 characters given" in refused.value.sentence and "at most 500" in refused.value.sentence


@given(st.dates(min_value=date(1, 1, 2), max_value=date(9999, 12, 31)))
def test_a_grant_ends_from_tomorrow_up_to_the_longest_grant_and_no_other_day(day):
    allowed = TODAY < day <= TODAY + timedelta(days=validation.MAX_GRANT_DAYS)
    try:
        assert validation.grant_expiry(day.isoformat(), "expiry", today=TODAY) == day and allowed
    except FieldError as exc:
        assert not allowed and exc.field == "expiry" and "Choose a date from 2026-12-02" in exc.sentence


@pytest.mark.parametrize("typed", ["9999-12-31", "2020-01-01", TODAY.isoformat(), "31/12/2026", "", None])
def test_the_issues_expiries_and_malformed_dates_are_refused(typed):
    with pytest.raises(FieldError):
        validation.grant_expiry(typed, "expiry", today=TODAY)


def test_the_grant_service_refuses_an_end_past_the_longest_grant_before_touching_the_database():
    from hexops.services import grants

    now = datetime.now(timezone.utc)
    with pytest.raises(grants.GrantError) as refused:
        grants.grant_layer(None, "DSD", "rainfall", now + timedelta(days=3000), actor="t")
    assert refused.value.field == "expires_at" and refused.value.template  # shown in the reader's language
    with pytest.raises(grants.GrantError, match="reason"):
        grants.grant_layer(None, "DSD", "rainfall", now + timedelta(days=3), actor="t", reason="x" * 3000)
    with pytest.raises(grants.GrantError, match="grant_id"):
        grants.revoke_grant(None, "1.5", actor="t")


def test_the_patrol_service_refuses_bad_unit_counts_before_looking_for_a_forecast():
    from hexops.services import patrol

    for units in (99999, 0, -5, None, 2.5):
        with pytest.raises(patrol.PatrolInputError) as refused:
            patrol.draft_next_shift(None, district="YTM", units=units, created_by="t")
        assert refused.value.field == "units"


@given(st.dates(), st.dates())
def test_a_date_range_is_refused_only_when_it_ends_before_it_starts(first, last):
    try:
        assert validation.date_range(first.isoformat(), last.isoformat(), "from", "to") == (first, last)
        assert last >= first
    except FieldError as exc:
        assert last < first and exc.field == "to"


def test_every_sentence_fills_its_placeholders():
    for call in (lambda: validation.whole_number("x", "f", low=1, high=9),
                 lambda: validation.text("x" * 9, "f", max_chars=3),
                 lambda: validation.grant_expiry("1999-01-01", "f", today=TODAY)):
        with pytest.raises(FieldError) as refused:
            call()
        assert "{" not in refused.value.sentence and not math.isnan(len(refused.value.sentence))
