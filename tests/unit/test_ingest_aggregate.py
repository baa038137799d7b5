"""Pure aggregation: window splitting and grouping keep every sum exact."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hexops.ingest.aggregate import MINUTE_S, NS, camera_minute, group, hex_5min, split_windows
from hexops.ingest.validate import EventColumns

T0 = 1_795_000_200 * NS  # a UTC instant on a 5-minute boundary, in nanoseconds


def _events(rows: list[tuple[int, int, int, int, int]]) -> EventColumns:
    """(camera_idx, start offset s, duration s, people, water code) per event."""
    arr = np.asarray(rows, dtype=np.int64).reshape(-1, 5)
    return EventColumns({
        "pos": np.arange(len(arr)),
        "event_id": np.asarray([f"e{i}" for i in range(len(arr))], dtype=object),
        "camera_idx": arr[:, 0],
        "start_ns": T0 + arr[:, 1] * NS,
        "end_ns": T0 + (arr[:, 1] + arr[:, 2]) * NS,
        "people": arr[:, 3],
        "vehicles": np.ones(len(arr), dtype=np.int64),
        "water": arr[:, 4].astype(np.int8),
        "conf": np.full(len(arr), 0.5),
        "saturated": np.zeros(len(arr), dtype=bool),
    })


_event = st.tuples(st.integers(0, 3), st.integers(0, 3_600), st.integers(1, 600), st.integers(0, 500),
                   st.integers(0, 2))


@settings(max_examples=200, deadline=None)
@given(st.lists(_event, min_size=1, max_size=40), st.sampled_from([60, 300]))
def test_splitting_a_window_at_bucket_edges_conserves_its_seconds_and_counts(rows, bucket_s):
    valid = _events(rows)
    pieces = split_windows(valid, bucket_s)
    durations = np.asarray([r[2] for r in rows], dtype=float)
    people = np.asarray([r[3] for r in rows], dtype=float)
    assert pieces["covered_s"].sum() == np.float64(durations.sum())
    assert np.isclose(pieces["people_s"].sum(), (people * durations).sum())
    assert (pieces["covered_s"] > 0).all() and (pieces["covered_s"] <= bucket_s).all()
    assert (pieces["bucket_s"] % bucket_s == 0).all()
    wet = np.asarray([r[2] for r in rows if r[4] == 1], dtype=float).sum()
    assert np.isclose(pieces["wet_s"].sum(), wet)


@settings(max_examples=100, deadline=None)
@given(st.lists(_event, min_size=1, max_size=40))
def test_grouping_by_camera_minute_matches_a_plain_pandas_groupby(rows):
    pieces = split_windows(_events(rows), MINUTE_S)
    ours = pd.DataFrame(group(pieces, ["camera_idx", "bucket_s"])).sort_values(["camera_idx", "bucket_s"])
    frame = pd.DataFrame(pieces)
    theirs = (frame.groupby(["camera_idx", "bucket_s"], as_index=False)
              .agg(people_s=("people_s", "sum"), people_max=("people_max", "max"), n_events=("n_events", "sum")))
    assert ours["people_s"].to_numpy() == pytest.approx(theirs["people_s"].to_numpy())
    assert (ours["people_max"].to_numpy() == theirs["people_max"].to_numpy()).all()
    assert (ours["n_events"].to_numpy() == theirs["n_events"].to_numpy()).all()


def test_a_two_minute_window_lands_half_in_each_minute_and_in_one_hex_bucket():
    valid = _events([(0, 30, 60, 10, 0)])
    minutes = camera_minute(valid, pd.Index(["CAM-A"]))
    assert minutes["covered_s"].tolist() == [30.0, 30.0]
    assert minutes["people_s"].tolist() == [300.0, 300.0]
    cells = np.asarray([[8_000, 9_000, 10_000]], dtype=np.int64)
    hexes = hex_5min(valid, cells)
    assert sorted(hexes["h3"].tolist()) == [8_000, 9_000, 10_000]
    assert hexes["n_events"].tolist() == [1, 1, 1]
    assert hexes["people_s"].tolist() == [600.0, 600.0, 600.0]
