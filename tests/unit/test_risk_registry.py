"""The forecaster registry is the single list: a forecaster registered once shows up everywhere."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hexops.analytics.risk import registry
from hexops.analytics.risk.errors import RiskInputError
from hexops.analytics.risk.history import History
from hexops.cli import build_cli
from tests.unit.test_risk_cli import _csv

NO_DATABASE = {"HEXOPS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}


@dataclass
class ToyForecaster:
    """Every hex's count over the last week: a forecaster a test can register."""

    name: str = "toy_week"
    refit_every: pd.Timedelta = pd.Timedelta(days=36_500)

    def fit(self, history: History) -> "ToyForecaster":
        return self

    def predict(self, history: History) -> np.ndarray:
        return self.explain(history)["last week"]

    def explain(self, history: History) -> dict[str, np.ndarray]:
        return {"last week": np.asarray(history.window_sum(7), dtype=float) / 7}


@pytest.fixture
def toy():
    registry.register_forecaster("toy_week", kind="model", label="last week's count",
                                 definition="each hex's incidents over the last seven days")(ToyForecaster)
    yield "toy_week"
    registry.remove_forecaster("toy_week")


def test_the_registry_lists_the_baselines_first_and_every_forecaster_with_a_definition():
    assert registry.names()[:2] == ["naive_365", "naive_recent"]
    assert {"kde", "hawkes", "gbm"} <= set(registry.names())
    for entry in registry.specs():
        assert entry.definition and entry.label and entry.kind in registry.KINDS
    assert registry.baseline_names() == ["naive_365", "naive_recent"]
    assert set(registry.baseline_names()) <= set(registry.quick_names())


def test_asking_for_some_forecasters_always_brings_the_baselines_along():
    assert registry.with_baselines(["gbm"]) == ["naive_365", "naive_recent", "gbm"]
    assert registry.with_baselines(["naive_365", "kde"]) == ["naive_365", "naive_recent", "kde"]
    with pytest.raises(RiskInputError, match="naive_365"):
        registry.with_baselines(["prophecy"])


def test_a_registered_toy_forecaster_is_offered_by_the_command_line_and_scored_in_the_report(toy, tmp_path):
    runner = CliRunner()
    listed = runner.invoke(build_cli(), ["risk", "models"], env=NO_DATABASE)
    assert listed.exit_code == 0 and "toy_week" in listed.output and "last seven days" in listed.output
    helped = runner.invoke(build_cli(), ["risk", "forecast", "--help"], env=NO_DATABASE)
    assert "toy_week" in helped.output and "naive_365" in helped.output

    out = tmp_path / "report.json"
    result = runner.invoke(build_cli(), [
        "risk", "backtest", "--incidents", str(_csv(tmp_path)), "--time-col", "when", "--lat-col", "lat",
        "--lon-col", "lng", "--train-until", "2026-06-01", "--test-until", "2026-06-15",
        "--models", "toy_week", "--json", str(out), "--quiet",
    ], env=NO_DATABASE)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert set(report["models"]) == {"naive_365", "naive_recent", "toy_week"}
    assert report["kinds"]["toy_week"] == "model" and report["best_model"] == "toy_week"
    assert "toy_week" in result.output


def test_an_unknown_forecaster_is_refused_by_the_command_line_with_the_choices(tmp_path):
    result = CliRunner().invoke(build_cli(), [
        "risk", "backtest", "--incidents", str(_csv(tmp_path)), "--lat-col", "lat", "--lon-col", "lng",
        "--train-until", "2026-06-01", "--test-until", "2026-06-15", "--models", "kde,prophecy",
        "--json", str(tmp_path / "r.json"),
    ], env=NO_DATABASE)
    assert result.exit_code == 2
    assert "prophecy" in result.output and "naive_365" in result.output
    forecast = CliRunner().invoke(build_cli(), ["risk", "forecast", "--model", "prophecy"], env=NO_DATABASE)
    assert forecast.exit_code == 2 and "gbm" in forecast.output
