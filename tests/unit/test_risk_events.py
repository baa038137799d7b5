"""Validating incident tables: every row is either kept or refused with its row and field."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hexops.analytics.risk.errors import RiskInputError
from hexops.analytics.risk.events import ColumnMapping, prepare_events

MAPPING = ColumnMapping(time="t", lat="lat", lon="lon", type="kind", source="src")

good_row = st.fixed_dictionaries({
    "t": st.datetimes(min_value=pd.Timestamp("2020-01-01").to_pydatetime(),
                      max_value=pd.Timestamp("2030-01-01").to_pydatetime()).map(lambda d: d.strftime("%Y-%m-%d %H:%M")),
    "lat": st.floats(22.15, 22.55).map(lambda v: f"{v:.5f}"),
    "lon": st.floats(113.85, 114.40).map(lambda v: f"{v:.5f}"),
    "kind": st.sampled_from(["theft", "assault"]),
    "src": st.sampled_from(["public", "patrol", "PATROL "]),
})
breakages = {
    "t": st.sampled_from(["", "soon", "2026-13-40 10:00"]),
    "lat": st.sampled_from(["", "north", "91", "-120"]),
    "lon": st.sampled_from(["", "east", "181"]),
    "kind": st.just(""),
    "src": st.sampled_from(["", "rumour"]),
}
bad_row = st.tuples(good_row, st.sampled_from(sorted(breakages))).flatmap(
    lambda pair: breakages[pair[1]].map(lambda bad: ({**pair[0], pair[1]: bad}, pair[1])))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(good_row.map(lambda r: (r, None)), bad_row), min_size=1, max_size=30))
def test_each_row_is_kept_or_refused_naming_its_row_and_field(rows):
    frame = pd.DataFrame([r for r, _ in rows], dtype=str).replace("", pd.NA)
    prepared = prepare_events(frame, MAPPING, resolution=9)
    bad_lines = {i + 2: field for i, (_, field) in enumerate(rows) if field is not None}
    assert len(prepared.events) + len(prepared.problems) == len(rows)
    assert sorted(prepared.events["row"]) == [i + 2 for i, (_, f) in enumerate(rows) if f is None]
    for line, field in bad_lines.items():
        assert any(p.startswith(f"row {line}, field '{field}'") for p in prepared.problems)
    assert set(prepared.events["source"]) <= {"public", "patrol"}
    assert (prepared.events["time"].dt.tz is not None) if len(prepared.events) else True


def test_times_without_offset_are_local_and_times_with_one_keep_it():
    frame = pd.DataFrame({"t": ["2026-03-01 10:00", "2026-03-01T10:00:00+00:00", "2026-03-01T10:00:00Z"],
                          "lat": ["22.3"] * 3, "lon": ["114.1"] * 3, "kind": ["x"] * 3, "src": ["public"] * 3})
    times = prepare_events(frame, MAPPING).events["time"].dt.hour.tolist()
    assert times == [2, 10, 10]


def test_a_repeated_external_id_is_refused_after_its_first_row():
    frame = pd.DataFrame({"t": ["2026-03-01 10:00"] * 2, "lat": ["22.3"] * 2, "lon": ["114.1"] * 2,
                          "id": ["A1", "A1"]})
    prepared = prepare_events(frame, ColumnMapping(time="t", lat="lat", lon="lon", external_id="id"))
    assert len(prepared.events) == 1
    assert prepared.problems == ["row 3, field 'id': repeats an earlier row's id"]


def test_a_mapping_without_any_position_columns_is_refused():
    with pytest.raises(RiskInputError, match="latitude/longitude"):
        prepare_events(pd.DataFrame({"t": []}), ColumnMapping(time="t", lat=None, lon=None))
