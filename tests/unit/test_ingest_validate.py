"""The event validator on its own (no database): reasons, types and malformed payloads."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hexops.ingest.core import event_keys
from hexops.ingest.known_cameras import CameraRegistry
from hexops.ingest.schema import COLUMNS, events_frame, nest_event
from hexops.ingest.validate import IngestPolicy, validate
from tests.fixtures.ingest import NOW, event

REGISTRY = CameraRegistry.from_frame(pd.DataFrame({
    "camera_id": ["CAM-A", "CAM-C", "CAM-OLD"], "owner_code": ["HKPF", "HD", "HKPF"],
    "district_code": [None, None, None], "status": ["active", "active", "retired"],
    "h3_r8": [1, 2, 3], "h3_r9": [4, 5, 6], "h3_r10": [7, 8, 9]}))


def _check(rows, policy=IngestPolicy()):
    return validate(pd.DataFrame(rows), REGISTRY, NOW, policy)


def test_a_well_formed_event_passes_with_its_values_normalised():
    result = _check([event("e1", people=3, vehicles=2, water_state="wet", water_confidence=0.5, saturated=True)])
    assert result.reasons == {}
    row = result.valid.to_frame().iloc[0]
    assert (row.people, row.vehicles, row.water, row.conf, bool(row.saturated)) == (3, 2, 1, 0.5, True)
    assert row.end_ns - row.start_ns == 10 * 10**9


def test_each_kind_of_bad_field_is_named_in_its_reason():
    rows = [
        event("a", people="7"),
        event("b", vehicles=2.5),
        event("c", water_state="damp"),
        event("d", water_confidence=1.5),
        event("e", saturated="yes"),
        event("f", window_start="yesterday"),
        event("g", window_start="2026-11-21T11:50:00"),
        event("h", seconds=601),
        event("i", seconds=-5),
        event("j", start=NOW + dt.timedelta(hours=1)),
        event("k", people=10**9),
        event("l", camera_id="CAM-OLD"),
        event("m" * 65),
        event("n", people=True),
    ]
    reasons = _check(rows).reasons
    expected_fields = ["people", "vehicles", "water_state", "water_confidence", "saturated", "window_start",
                       "window_start", "window_end", "window_end", "window_end", "people", "camera_id",
                       "event_id", "people"]
    assert sorted(reasons) == list(range(len(rows)))
    for i, field in enumerate(expected_fields):
        assert reasons[i][0].startswith(field + ":"), (i, reasons[i])


def test_a_missing_column_rejects_every_event_naming_that_column():
    frame = pd.DataFrame([event("a"), event("b")]).drop(columns="vehicles")
    result = validate(frame, REGISTRY, NOW, IngestPolicy())
    assert result.reasons == {0: ["vehicles: missing"], 1: ["vehicles: missing"]}
    assert len(result.valid) == 0


def test_typed_columns_from_parquet_take_the_fast_path_and_agree():
    rows = [event(f"e{i}", people=i) for i in range(5)]
    typed = pd.DataFrame(rows)
    for col in ("window_start", "window_end"):
        typed[col] = pd.to_datetime(typed[col], utc=True)
    a = validate(typed, REGISTRY, NOW, IngestPolicy()).valid.to_frame()
    b = _check(rows).valid.to_frame()
    pd.testing.assert_frame_equal(a, b)


def test_event_keys_are_pinned_so_redeliveries_after_an_upgrade_still_match():
    # If pandas ever changes its hash, this fails before double counting can happen.
    keys = event_keys(np.array(["abc", "event-1"], dtype=object))
    assert keys.tolist() == [8952642330259793944, 252973815321668626]


_junk = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                  st.text(max_size=20), st.lists(st.integers(), max_size=3),
                  st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


@st.composite
def malformed_events(draw):
    """A valid nested event with one to three fields replaced by junk or removed."""
    base = nest_event(event(draw(st.text(min_size=1, max_size=10)), people=draw(st.integers(0, 100))))
    fields = draw(st.lists(st.sampled_from(["event_id", "camera_id", "window_start", "window_end", "people",
                                            "vehicles", "water", "model", "saturated"]),
                           min_size=1, max_size=3, unique=True))
    broken = dict(base)
    removed = []
    for field in fields:
        if draw(st.booleans()):
            broken.pop(field)
            removed.append(field)
        else:
            broken[field] = draw(_junk)
    return broken, removed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(malformed_events(), min_size=1, max_size=8), st.lists(st.integers(0, 50), max_size=4))
def test_malformed_events_never_crash_and_each_rejection_names_a_field(broken, good_people):
    good = [nest_event(event(f"good-{i}", people=p)) for i, p in enumerate(good_people)]
    events = [b for b, _ in broken] + good + [7, "text", None]
    result = validate(events_frame(events), REGISTRY, NOW, IngestPolicy())
    names = set(COLUMNS) | {"event", "water", "model"}
    for reasons in result.reasons.values():
        assert reasons
        for reason in reasons:
            assert reason.split(":", 1)[0] in names, reason
    # Every valid good event survives, every non-object event is rejected.
    n_broken = len(broken)
    assert set(range(n_broken, n_broken + len(good))).isdisjoint(result.reasons)
    assert {len(events) - 3, len(events) - 2, len(events) - 1} <= set(result.reasons)
    # A removed field is always named as missing.
    flat_names = {"water": ["water_state", "water_confidence"], "model": ["model_name", "model_version"]}
    for i, (_, removed) in enumerate(broken):
        for field in removed:
            for name in flat_names.get(field, [field]):
                assert f"{name}: missing" in result.reasons[i], (removed, result.reasons[i])
    assert not set(result.reasons) & set(result.valid["pos"])
