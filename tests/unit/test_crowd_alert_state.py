"""Restoring the crowd alert machines from stored open alerts (resuming a run)."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
from shapely.geometry import box

from hexops.analytics.crowd import CrowdLayout, ground_shares
from hexops.services.crowd_alerts import restore_open_alerts


def _layouts():
    shares = ground_shares(["a"], [box(0, 0, 10, 10)], ["z1", "z2"], [box(0, 0, 5, 10), box(5, 0, 10, 10)])
    zone = CrowdLayout.from_shares(["a"], [100.0], shares)
    hexes = CrowdLayout.from_shares(["a"], [100.0], ground_shares(["a"], [box(0, 0, 10, 10)], ["123"],
                                                                   [box(0, 0, 10, 10)]))
    return {"zone": zone, "hex": hexes}


def test_open_alerts_with_and_without_a_hold_restore_their_machines():
    held = datetime(2026, 10, 1, 14, 0, tzinfo=timezone.utc)
    rows = pd.DataFrame([
        (1, "zone", "z1", 2.0, held, 3.1),
        (2, "zone", "z2", 4.0, None, None),
        (3, "hex", "123", 5.5, None, 6.0),
        (4, "zone", "gone", 2.0, None, 2.5),  # a zone deleted since: ignored
    ], columns=["alert_id", "region_kind", "region_id", "threshold", "below_since", "peak_density"])
    assert rows["below_since"].isna().sum() == 3  # pandas made the Nones NaT
    state = restore_open_alerts(rows, _layouts(), (2.0, 4.0, 5.5))
    zone, hexes = state["zone"], state["hex"]
    assert zone.open.tolist() == [[True, False, False], [False, True, False]]
    assert zone.below_since[0, 0] == held.timestamp() and np.isnan(zone.below_since[1, 1])
    assert zone.alert_id[1, 1] == 2 and zone.peak[1, 1] == 0.0
    assert hexes.open[0, 2] and hexes.peak[0, 2] == 6.0
