"""``hexops risk backtest`` on a CSV alone: table, JSON report in the agreed shape, plot."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hexops.cli import build_cli
from tests.fixtures.risk import synthetic_incidents


def _csv(tmp_path):
    frame = synthetic_incidents(days=200)
    frame["when"] = frame["time"].dt.tz_convert("Asia/Hong_Kong").dt.strftime("%Y-%m-%d %H:%M")
    path = tmp_path / "incidents.csv"
    frame.rename(columns={"latitude": "lat", "longitude": "lng"})[["when", "lat", "lng", "type"]].to_csv(path, index=False)
    with path.open("a") as f:
        f.write("yesterday,22.3,114.1,theft\n")
    return path


def test_a_csv_backtest_prints_a_table_and_writes_the_report_and_a_plot(tmp_path):
    out = tmp_path / "out" / "report.json"
    result = CliRunner().invoke(build_cli(), [
        "risk", "backtest", "--incidents", str(_csv(tmp_path)), "--time-col", "when", "--lat-col", "lat",
        "--lon-col", "lng", "--type-col", "type", "--train-until", "2026-06-01", "--test-until", "2026-07-01",
        "--models", "kde,hawkes", "--json", str(out), "--quiet",
    ], env={"HEXOPS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    # The naive baselines are always in the report, though not asked for.
    assert set(report["models"]) == {"naive_365", "naive_recent", "kde", "hawkes"}
    assert report["kinds"] == {"naive_365": "baseline", "naive_recent": "baseline", "kde": "peer",
                               "hawkes": "model"}
    for metrics in report["models"].values():
        for key in ("pai_1", "pai_5", "pai_10", "pei_5", "hit_rate_5", "skill_pai_5"):
            assert isinstance(metrics[key], float)
        assert metrics["pai_5"] > 1.5  # persistent hotspots are easy to beat chance on
        assert metrics["skill_pai_5"] == pytest.approx(metrics["pai_5"] / report["models"]["naive_365"]["pai_5"],
                                                       abs=1e-4)
    assert report["models"]["naive_365"]["skill_pai_5"] == 1.0
    assert report["best"] == max(report["models"], key=lambda m: report["models"][m]["pai_5"])
    assert report["best_model"] in ("kde", "hawkes")
    assert report["origins"] == 30
    assert report["rows_refused"] == 1
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    assert "pai_5" in result.output and "* best by PAI at 5%" in result.output
    assert "naive_365" in result.output and "best forecasting model:" in result.output
    assert "row 2" not in result.output and "1 row(s) refused" in result.output


def test_a_backtest_whose_test_span_precedes_its_training_cutoff_is_refused(tmp_path):
    result = CliRunner().invoke(build_cli(), [
        "risk", "backtest", "--incidents", str(_csv(tmp_path)), "--time-col", "when", "--lat-col", "lat",
        "--lon-col", "lng", "--train-until", "2026-06-01", "--test-until", "2026-05-01",
        "--json", str(tmp_path / "r.json"), "--quiet",
    ])
    assert result.exit_code == 1
    assert "must be after" in result.output
    assert not (tmp_path / "r.json").exists()


def test_a_missing_incident_file_is_named_in_the_error(tmp_path):
    result = CliRunner().invoke(build_cli(), [
        "risk", "backtest", "--incidents", str(tmp_path / "nope.csv"), "--lat-col", "a", "--lon-col", "b",
        "--train-until", "2026-06-01", "--test-until", "2026-07-01", "--json", str(tmp_path / "r.json"),
    ])
    assert result.exit_code == 1
    assert "nope.csv" in result.output and "no such file" in result.output
