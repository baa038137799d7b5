"""Footfall measured only late in the history (cameras installed after the incidents began)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hexops.analytics.risk import build_counts
from hexops.analytics.risk.forecasters.gbm import GradientBoosted
from hexops.analytics.risk.events import points_to_cells
from hexops.analytics.risk.history import CountMatrix
from tests.fixtures.risk import synthetic_incidents

DAY = pd.Timedelta(days=1)


def test_footfall_unmeasured_during_training_is_left_out_rather_than_breaking_the_fit():
    frame = synthetic_incidents(days=150)
    events = pd.DataFrame({"time": frame["time"], "cell": points_to_cells(
        frame["latitude"].to_numpy(), frame["longitude"].to_numpy(), 9)})
    origin = pd.Timestamp("2026-01-01", tz="UTC")
    base = build_counts(events, origin=origin, end=origin + 150 * DAY, bin_width=DAY)
    exposure = np.full((len(base.cells), base.n_bins), np.nan)
    exposure[:5, 145:] = 30.0  # a few cameras, only in the last days
    matrix = CountMatrix(base.cells, origin, DAY, base.counts, exposure=exposure, outside=base.outside)
    model = GradientBoosted(train_span=pd.Timedelta(days=60), max_iter=20).fit(matrix.until(140))
    assert "footfall" not in model.feature_names
    predicted = model.predict(matrix.until(149))
    assert np.isfinite(predicted).all() and (predicted >= 0).all()
    assert np.isnan(matrix.until(149).exposure(28)[10])
    assert matrix.until(149).exposure(28)[0] == 30.0
