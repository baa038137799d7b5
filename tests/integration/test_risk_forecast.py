"""Forecasts from the demo city's incidents: stored, ranked, explained, audited, leak-free."""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
import pytest

from hexops.geodata import risk as risk_sql
from hexops.services.risk import audit_report, compute_forecast, explain_hex, forecast_cutoff, risk_map


@pytest.fixture(scope="module")
def forecast(loaded_small_city_db):
    with psycopg.connect(loaded_small_city_db) as conn:
        run_id = compute_forecast(conn, resolution=9, horizon="1d", models=("kde", "hawkes"))
        conn.commit()
    return loaded_small_city_db, run_id


def test_a_forecast_ranks_every_land_hex_once_and_stores_its_backtest(forecast):
    url, run_id = forecast
    with psycopg.connect(url) as conn:
        run, rows = risk_map(conn, resolution=9, horizon="1d")
        land = risk_sql.district_cells(conn, 9)
    assert run["run_id"] == run_id
    assert run["model"] in ("kde", "hawkes")
    assert set(run["backtest"]["models"]) == {"kde", "hawkes"}
    assert run["backtest"]["best"] == run["model"]
    assert set(land["cell"]) <= set(rows["h3"])
    assert sorted(rows["rank"]) == list(range(1, len(rows) + 1))
    assert (rows["expected"] >= 0).all() and rows["expected"].sum() > 1
    assert (run["window_end"] - run["window_start"]).total_seconds() == 86_400


def test_clicking_a_hex_explains_its_expected_count_by_parts(forecast):
    url, run_id = forecast
    with psycopg.connect(url) as conn:
        _, rows = risk_map(conn, resolution=9, horizon="1d")
        top = int(rows.iloc[0]["h3"])
        explained = explain_hex(conn, run_id, top)
    assert explained["rank"] == 1
    assert explained["ranked"] == len(rows)
    assert sum(v for _, v in explained["parts"]) == pytest.approx(explained["expected"], rel=1e-3)
    assert abs(explained["parts"][0][1]) >= abs(explained["parts"][-1][1])


def test_the_forecast_ignores_incidents_after_its_cutoff(loaded_small_city_db):
    with psycopg.connect(loaded_small_city_db) as conn:
        first, last = conn.execute("SELECT min(occurred_at), max(occurred_at) FROM incidents").fetchone()
        as_of = first + (last - first) / 2
        before = compute_forecast(conn, horizon="7d", models=("kde",), as_of=as_of)
        cutoff = forecast_cutoff(as_of, pd.Timedelta(days=7))
        # A burst of future incidents in one hex must not move the forecast made before it.
        conn.execute(
            "INSERT INTO incidents (occurred_at, type, source, geom, h3_r8, h3_r9, h3_r10) "
            "SELECT %s + interval '1 hour', type, source, geom, h3_r8, h3_r9, h3_r10 "
            "FROM incidents ORDER BY occurred_at LIMIT 200", (cutoff,))
        after = compute_forecast(conn, horizon="7d", models=("kde",), as_of=as_of)
        a = risk_sql.forecast_rows(conn, before).set_index("h3")["expected"]
        b = risk_sql.forecast_rows(conn, after).set_index("h3")["expected"]
        conn.rollback()
    np.testing.assert_allclose(a.sort_index().to_numpy(), b.sort_index().to_numpy())


def test_the_audit_compares_every_district_with_its_public_reports(forecast):
    url, run_id = forecast
    with psycopg.connect(url) as conn:
        audit = audit_report(conn, run_id, days=60, limit=1.5)
        n_districts = conn.execute("SELECT count(*) FROM districts").fetchone()[0]
    assert len(audit[audit["district"] != "?"]) == n_districts
    assert audit["risk_share"].sum() == pytest.approx(1.0)
    assert audit["public_share"].sum() == pytest.approx(1.0)
    assert audit["attention_share"].sum() == 0.0


def test_patrol_found_incidents_in_hexes_the_plans_kept_visiting_weigh_less(loaded_small_city_db):
    from hexops.services.patrol import create_plan

    with psycopg.connect(loaded_small_city_db) as conn:
        last = conn.execute("SELECT max(occurred_at) FROM incidents").fetchone()[0]
        first_run = compute_forecast(conn, horizon="shift", models=("kde",))
        district = risk_sql.forecast_rows(conn, first_run).groupby("district")["expected"].sum().idxmax()
        assert risk_sql.get_run(conn, first_run)["params"]["patrol_found_discounted"] == 0
        # Plans for shifts in the weeks before the next forecast: the riskiest hexes are
        # visited in most of them, others now and then.
        for day in range(1, 15):
            create_plan(conn, district=district, units=2 + day % 3, created_by="test",
                        shift_start=last - pd.Timedelta(days=day), settings={"seed": day})
        again = compute_forecast(conn, horizon="shift", models=("kde",))
        params = risk_sql.get_run(conn, again)["params"]
        conn.rollback()
    assert params["patrol_found_discounted"] > 0
