"""The risk.forecast job: the clock's shift, day and week forecasts are made one per run, each once."""

from __future__ import annotations

import psycopg

from hexops.analytics.risk import parse_horizon
from hexops.geodata.uow import UnitOfWork
from hexops.services import forecast_schedule
from hexops.services.risk import forecast_cutoff


def test_a_run_makes_one_due_forecast_at_the_clocks_cutoff_and_it_is_then_no_longer_due(small_city_db):
    with psycopg.connect(small_city_db) as conn:
        last = conn.execute("SELECT max(occurred_at) FROM incidents").fetchone()[0]
        types = conn.execute("SELECT count(DISTINCT type) FROM incidents").fetchone()[0]
    now = last  # the demo's incident history ends before its scenario: the forecast is for the next bin
    before = forecast_schedule.due(UnitOfWork.for_url(small_city_db), now)
    assert len(before) == 3 + types and before[0][:2] == ("shift", None)
    assert forecast_schedule.ensure_current(UnitOfWork.for_url(small_city_db), now) == {"made": 1,
                                                                                       "due": 3 + types - 1}
    after = forecast_schedule.due(UnitOfWork.for_url(small_city_db), now)
    assert after == before[1:]
    with psycopg.connect(small_city_db) as conn:
        [(horizon, window_start)] = conn.execute("SELECT horizon, window_start FROM risk_forecast_runs").fetchall()
    assert horizon == "shift" and window_start == forecast_cutoff(now, parse_horizon("shift")).to_pydatetime()
