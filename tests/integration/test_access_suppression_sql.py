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
