"""``hexops risk forecast``, ``hexops patrol plan`` and ``hexops risk audit`` against the demo city."""

from __future__ import annotations

import psycopg
from click.testing import CliRunner

from hexops.cli import build_cli


def test_forecast_then_plan_then_audit_from_the_command_line(loaded_small_city_db, tmp_path):
    env = {"HEXOPS_DATABASE_URL": loaded_small_city_db, "HEXOPS_STATE_DIR": str(tmp_path)}
    runner = CliRunner()
    made = runner.invoke(build_cli(), ["risk", "forecast", "--horizon", "shift", "--models", "kde,hawkes"], env=env)
    assert made.exit_code == 0, made.output
    assert "backtest kde" in made.output and "backtest hawkes" in made.output
    # The baselines are always compared, and the outcome is said in plain words.
    assert "backtest naive_365" in made.output and "backtest naive_recent" in made.output
    assert "Over the last 14 days this forecast put" in made.output
    assert "counting last year's incidents would have caught" in made.output
    with psycopg.connect(loaded_small_city_db) as conn:
        district = conn.execute("SELECT code FROM districts ORDER BY code LIMIT 1").fetchone()[0]
    plan = runner.invoke(build_cli(), ["patrol", "plan", "--district", district, "--units", "3",
                                       "--revisit-interval", "60", "--seed", "4", "--issue"], env=env)
    assert plan.exit_code == 0, plan.output
    assert "3 unit(s)" in plan.output and "held out" in plan.output
    bad = runner.invoke(build_cli(), ["patrol", "plan", "--district", "NOPE", "--units", "3"], env=env)
    assert bad.exit_code == 1 and "'NOPE' has no forecast hexes" in bad.output
    effect = runner.invoke(build_cli(), ["patrol", "effect"], env=env)
    assert effect.exit_code == 0, effect.output
    assert '"treated"' in effect.output and '"holdout"' in effect.output
    audit = runner.invoke(build_cli(), ["risk", "audit", "--horizon", "shift"], env=env)
    assert audit.exit_code == 0, audit.output
    assert "risk_share" in audit.output and district in audit.output


def test_forecasting_with_no_incidents_says_what_to_do(db_url, tmp_path):
    env = {"HEXOPS_DATABASE_URL": db_url, "HEXOPS_STATE_DIR": str(tmp_path)}
    result = CliRunner().invoke(build_cli(), ["risk", "forecast"], env=env)
    assert result.exit_code == 1
    assert "hexops load incidents" in result.output
