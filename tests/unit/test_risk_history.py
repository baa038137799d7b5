"""Binning incidents: nothing is lost, and short histories still give forecasts."""

from __future__ import annotations

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from hexops.analytics.risk import build_counts, make_models, names, run_backtest
from tests.fixtures.risk import CENTRE

ORIGIN = pd.Timestamp("2026-01-01", tz="UTC")
CELLS = sorted(h3i.grid_disk(h3i.latlng_to_cell(*CENTRE, 9), 2))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-2.0, 12.0), st.integers(0, len(CELLS) - 1), st.floats(0.1, 1.0)), max_size=60),
    st.sampled_from(["8h", "1d", "7d"]),
    st.integers(0, len(CELLS)),
)
def test_every_incident_in_the_span_is_counted_in_a_cell_or_as_outside(rows, width, n_study):
    frame = pd.DataFrame(rows, columns=["day", "i", "weight"])
    events = pd.DataFrame({
        "time": ORIGIN + pd.to_timedelta(frame["day"], unit="D"),
        "cell": np.array(CELLS, dtype=np.int64)[frame["i"].to_numpy(dtype=int)],
        "weight": frame["weight"],
    })
    end = ORIGIN + pd.Timedelta(days=10)
    study = np.array(CELLS[:n_study], dtype=np.int64)
    matrix = build_counts(events, origin=ORIGIN, end=end, bin_width=pd.Timedelta(width), cells=study)
    inside = ((events["time"] >= ORIGIN) & (events["time"] < end)).to_numpy()
    assert abs(matrix.counts.sum() + matrix.outside.sum() - events.loc[inside, "weight"].sum()) < 1e-9
    expected_outside = events.loc[inside & ~events["cell"].isin(study).to_numpy(), "weight"].sum()
    assert abs(matrix.outside.sum() - expected_outside) < 1e-9


def test_every_registered_forecaster_forecasts_from_three_weeks_of_history():
    rng = np.random.default_rng(2)
    n = 120
    events = pd.DataFrame({
        "time": ORIGIN + pd.to_timedelta(rng.uniform(0, 28, n), unit="D"),
        "cell": rng.choice(np.array(CELLS, dtype=np.int64), n),
    })
    matrix = build_counts(events, origin=ORIGIN, end=ORIGIN + pd.Timedelta(days=28), bin_width=pd.Timedelta("1d"))
    result = run_backtest(matrix, make_models(names()), 21, 28, progress=False)
    assert set(result.scores) == {"naive_365", "naive_recent", "kde", "hawkes", "gbm"}
    assert all(board.periods == 7 for board in result.scores.values())
