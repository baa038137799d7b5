"""The feedback-loop discount and the district bias audit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hexops.analytics.risk.audit import district_audit
from hexops.analytics.risk.feedback import discount_weights, patrol_probability


def test_a_patrol_find_where_the_model_kept_sending_patrols_counts_less():
    probability = patrol_probability(pd.Series({1: 9, 2: 3, 3: 1}), plans=10)
    events = pd.DataFrame({"cell": [1, 1, 2, 3, 4], "source": ["patrol", "public", "patrol", "patrol", "patrol"]})
    w = discount_weights(events, probability)
    # p = 0.9, 0.3, 0.1; the median 0.3 is the reference.
    assert w[0] == pytest.approx(0.3 / 0.9)
    assert w[1] == 1.0  # reported by the public
    assert w[2] == 1.0 and w[3] == 1.0  # patrolled no more than usual
    assert w[4] == 1.0  # never planned: not the model's doing


@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["public", "patrol"])), min_size=1, max_size=50),
       st.lists(st.integers(0, 20), min_size=6, max_size=6))
def test_weights_are_in_zero_to_one_and_public_reports_always_weigh_one(rows, shifts):
    events = pd.DataFrame(rows, columns=["cell", "source"])
    probability = patrol_probability(pd.Series(dict(enumerate(shifts))), plans=20)
    w = discount_weights(events, probability)
    assert np.all((w > 0) & (w <= 1))
    assert np.all(w[(events["source"] == "public").to_numpy()] == 1)


def test_the_audit_flags_a_district_whose_patrols_outrun_its_public_reports():
    risk = pd.Series({"A": 50.0, "B": 30.0, "C": 20.0})
    attention = pd.Series({"A": 400.0, "B": 50.0, "C": 50.0})
    public = pd.Series({"A": 40.0, "B": 35.0, "C": 25.0})
    audit = district_audit(risk, attention, public, limit=1.5)
    flagged = audit[audit["flagged"]]
    assert list(flagged["district"]) == ["A"]
    assert "planned patrol attention 2.0x" in flagged["reason"].iloc[0]
    assert audit["risk_share"].sum() == pytest.approx(1.0)
    assert audit["public_share"].sum() == pytest.approx(1.0)


def test_risk_in_a_district_with_no_public_reports_is_flagged():
    audit = district_audit(pd.Series({"A": 1.0, "B": 1.0}), pd.Series(dtype=float), pd.Series({"A": 3.0}))
    assert audit.set_index("district").loc["B", "flagged"]


def test_reported_patrol_time_is_audited_beside_the_plans():
    audit = district_audit(pd.Series({"A": 1.0, "B": 1.0}), pd.Series({"A": 1.0, "B": 1.0}),
                           pd.Series({"A": 1.0, "B": 1.0}), dosage=pd.Series({"A": 90.0, "B": 10.0}))
    row = audit.set_index("district").loc["A"]
    assert row["dosage_share"] == pytest.approx(0.9)
    assert row["flagged"] and "reported patrol time 1.8x" in row["reason"]
