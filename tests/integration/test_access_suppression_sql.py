"""The SQL twin of the suppression rule (hexops_k_suppress) agrees with the Python one."""

from __future__ import annotations

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hexops.analytics.sharing import suppress


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(values=st.lists(st.floats(min_value=0, max_value=1e6) | st.sampled_from([0.5, 1.5, 2.5, 4.5, 5.5]),
                       min_size=1, max_size=20),
       k=st.integers(min_value=1, max_value=50))
def test_sql_and_python_suppression_agree_on_every_value(module_db_url, values, k):
    with psycopg.connect(module_db_url) as conn:
        rows = conn.execute("SELECT hexops_k_suppress(v, %s) FROM unnest(%s::float8[]) WITH ORDINALITY AS t(v, i) "
                            "ORDER BY i", (k, values)).fetchall()
    assert [r[0] for r in rows] == [suppress(v, k) for v in values]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(people=st.floats(min_value=0, max_value=50) | st.none(), peak=st.integers(min_value=0, max_value=50),
       wet=st.floats(min_value=0, max_value=1), k=st.integers(min_value=1, max_value=20))
def test_sql_and_python_agree_on_what_a_reader_sees_of_a_record(module_db_url, people, peak, wet, k):
    import json

    from hexops.analytics.sharing import share_props

    props = {"people": people, "people_max": peak, "wet_fraction": wet, "camera_seconds": 600, "h3": "x"}
    camera = (("camera_seconds", None), ("wet_fraction", 0.25))
    with psycopg.connect(module_db_url) as conn:
        row = conn.execute("SELECT hexops_share_props(%s::jsonb, %s::text[], %s, %s::text[], %s::float8[])",
                           (json.dumps(props), ["people", "people_max"], k, [n for n, _ in camera],
                            [s for _, s in camera])).fetchone()[0]
    assert row == share_props(props, ("people", "people_max"), k, camera)
