"""Forecasts from the demo city's incidents: stored, ranked, explained, audited, leak-free."""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
import pytest

from hexops.geodata import risk as risk_sql
from hexops.geodata.uow import UnitOfWork
from hexops.services.patrol import create_plan, issue_plan
from hexops.services.risk import (
    audit_report, compute_forecast, explain_hex, explain_latest_hex, forecast_cutoff, forecast_verdict, risk_map,
)


@pytest.fixture(scope="module")
def forecast(loaded_small_city_db):
    run_id = compute_forecast(UnitOfWork.for_url(loaded_small_city_db), resolution=9, horizon="1d",
                              models=("kde", "hawkes"))
    return loaded_small_city_db, run_id


def test_a_forecast_ranks_every_land_hex_once_and_stores_its_backtest(forecast):
    url, run_id = forecast
    run, rows = risk_map(UnitOfWork.for_url(url), resolution=9, horizon="1d")
    with psycopg.connect(url) as conn:
        land = risk_sql.district_cells(conn, 9)
    assert run["run_id"] == run_id
    backtest = run["backtest"]
    # The naive baselines are always in the stored backtest, and can be the forecast in use.
    assert set(backtest["models"]) == {"naive_365", "naive_recent", "kde", "hawkes"}
    assert run["model"] == backtest["best"] in backtest["models"]
    assert backtest["models"]["naive_365"]["skill_pai_5"] == 1.0
    assert backtest["best_model"] in ("kde", "hawkes")
    assert set(land["cell"]) <= set(rows["h3"])
    assert sorted(rows["rank"]) == list(range(1, len(rows) + 1))
    assert (rows["expected"] >= 0).all() and rows["expected"].sum() > 1
    assert (run["window_end"] - run["window_start"]).total_seconds() == 86_400


def test_the_stored_backtest_scores_every_district_on_its_own(forecast):
    url, _ = forecast
    run, rows = risk_map(UnitOfWork.for_url(url), resolution=9, horizon="1d")
    groups = run["backtest"]["groups"]
    assert set(groups) == set(rows["district"].dropna())
    busiest = rows.groupby("district")["expected"].sum().idxmax()
    for name, scores in groups[busiest].items():
        assert 0 <= scores["hit_rate_5"] <= 1 and scores["incidents"] > 0
    city = forecast_verdict(run)
    local = forecast_verdict(run, busiest)
    assert city.days == 28 and city.model == run["model"] and local.district == busiest
    assert local.hit_rate == groups[busiest][run["model"]]["hit_rate_5"]
    assert local.reference_hit_rate == groups[busiest]["naive_365"]["hit_rate_5"]
    assert forecast_verdict(run, "no such district") is None


def test_clicking_a_hex_explains_its_expected_count_by_parts(forecast):
    url, run_id = forecast
    _, rows = risk_map(UnitOfWork.for_url(url), resolution=9, horizon="1d")
    top = int(rows.iloc[0]["h3"])
    explained = explain_hex(UnitOfWork.for_url(url), run_id, top)
    assert explain_latest_hex(UnitOfWork.for_url(url), top, horizon="1d") == explained
    assert explained["rank"] == 1
    assert explained["ranked"] == len(rows)
    assert sum(v for _, v in explained["parts"]) == pytest.approx(explained["expected"], rel=1e-3)
    assert abs(explained["parts"][0][1]) >= abs(explained["parts"][-1][1])


def test_the_forecast_ignores_incidents_after_its_cutoff(loaded_small_city_db):
    url = loaded_small_city_db
    with psycopg.connect(url) as conn:
        first, last = conn.execute("SELECT min(occurred_at), max(occurred_at) FROM incidents").fetchone()
    as_of = first + (last - first) / 2
    before = compute_forecast(UnitOfWork.for_url(url), horizon="7d", models=("hawkes",), as_of=as_of)
    cutoff = forecast_cutoff(as_of, pd.Timedelta(days=7))
    # A burst of future incidents in one hex must not move the forecast made before it.
    with psycopg.connect(url) as conn:
        added = conn.execute(
            "INSERT INTO incidents (occurred_at, type, source, geom, h3_r8, h3_r9, h3_r10) "
            "SELECT %s + interval '1 hour', type, source, geom, h3_r8, h3_r9, h3_r10 "
            "FROM incidents ORDER BY occurred_at LIMIT 200 RETURNING incident_id", (cutoff,)).fetchall()
    try:
        after = compute_forecast(UnitOfWork.for_url(url), horizon="7d", models=("hawkes",), as_of=as_of)
        with psycopg.connect(url) as conn:
            a = risk_sql.forecast_rows(conn, before).set_index("h3")["expected"]
            b = risk_sql.forecast_rows(conn, after).set_index("h3")["expected"]
            runs = [risk_sql.get_run(conn, run_id) for run_id in (before, after)]
    finally:
        with psycopg.connect(url) as conn:
            conn.execute("DELETE FROM incidents WHERE incident_id = ANY(%s)", ([r[0] for r in added],))
    np.testing.assert_allclose(a.sort_index().to_numpy(), b.sort_index().to_numpy())
    assert runs[0]["backtest"]["models"] == runs[1]["backtest"]["models"]


def test_the_audit_compares_every_district_with_its_public_reports(forecast):
    url, run_id = forecast
    audit = audit_report(UnitOfWork.for_url(url), run_id, days=60, limit=1.5)
    with psycopg.connect(url) as conn:
        n_districts = conn.execute("SELECT count(*) FROM districts").fetchone()[0]
    assert len(audit[audit["district"] != "?"]) == n_districts
    assert audit["risk_share"].sum() == pytest.approx(1.0)
    assert audit["public_share"].sum() == pytest.approx(1.0)
    assert audit["attention_share"].sum() == 0.0


def test_patrol_found_incidents_in_hexes_the_plans_kept_visiting_weigh_less(loaded_small_city_db):
    url = loaded_small_city_db
    first_run = compute_forecast(UnitOfWork.for_url(url), horizon="shift", models=("kde",))
    with psycopg.connect(url) as conn:
        last = conn.execute("SELECT max(occurred_at) FROM incidents").fetchone()[0]
        district = risk_sql.forecast_rows(conn, first_run).groupby("district")["expected"].sum().idxmax()
        assert risk_sql.get_run(conn, first_run)["params"]["patrol_found_discounted"] == 0
    # Issued plans for shifts in the weeks before the next forecast (drafts would count nowhere):
    # the riskiest hexes are visited in most of them, others now and then.
    plans = []
    for day in range(1, 15):
        plans.append(create_plan(UnitOfWork.for_url(url), district=district, units=2 + day % 3, created_by="test",
                                 shift_start=last - pd.Timedelta(days=day), settings={"seed": day}))
        issue_plan(UnitOfWork.for_url(url), plans[-1], actor="test", at=last)
    try:
        again = compute_forecast(UnitOfWork.for_url(url), horizon="shift", models=("kde",))
        with psycopg.connect(url) as conn:
            params = risk_sql.get_run(conn, again)["params"]
    finally:
        with psycopg.connect(url) as conn:
            conn.execute("DELETE FROM patrol_plans WHERE plan_id = ANY(%s)", (plans,))
    assert params["patrol_found_discounted"] > 0
