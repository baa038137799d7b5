"""The forecast service on a fake unit of work: baselines always compared, the winner in use, one commit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from hexops.analytics.risk import registry
from hexops.analytics.risk.errors import RiskInputError
from hexops.analytics.risk.events import points_to_cells
from hexops.analytics.risk.history import History
from hexops.services.risk import compute_forecast
from tests.fakes import FakeRepository, FakeUnitOfWork
from tests.fixtures.risk import synthetic_incidents


class FakeIncidents:
    """``uow.incidents`` over a frame of incidents (``time`` UTC, ``cell``, ``type``, ``source``)."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame

    def incident_span(self):
        if self.frame.empty:
            return None, None
        return (self.frame["time"].min().floor("us").to_pydatetime(),
                self.frame["time"].max().floor("us").to_pydatetime())

    def incident_frame(self, start, end, resolution, event_type):
        keep = (self.frame["time"] >= start) & (self.frame["time"] < end)
        return self.frame.loc[keep].reset_index(drop=True)


class FakeRisk(FakeRepository):
    """``uow.risk``: no plans, no footfall, two districts, stored runs kept on commit."""

    def __init__(self, cells: np.ndarray):
        super().__init__()
        self.cells = np.sort(cells)
        self.runs: dict[int, dict] = {}

    def planned_attention(self, start, end):
        frame = pd.DataFrame({"h3": pd.Series(dtype=np.int64), "shifts": pd.Series(dtype=float)})
        frame.attrs["plans"] = 0
        return frame

    def district_cells(self, resolution):
        half = len(self.cells) // 2
        return pd.DataFrame({"cell": self.cells, "lat": np.nan, "lon": np.nan,
                             "district": ["A"] * half + ["B"] * (len(self.cells) - half)})

    def footfall(self, *args):
        return pd.DataFrame()

    def save_forecast(self, **run):
        run_id = len(self.runs) + len(self._pending) + 1
        self._stage("runs", run_id, run)
        return run_id


@dataclass
class Contrarian:
    """Ranks the quietest hexes first: a forecaster that cannot beat counting last year's incidents."""

    name: str = "contrarian"
    refit_every: pd.Timedelta = pd.Timedelta(days=36_500)

    def fit(self, history: History) -> "Contrarian":
        return self

    def predict(self, history: History) -> np.ndarray:
        return self.explain(history)["quiet"]

    def explain(self, history: History) -> dict[str, np.ndarray]:
        return {"quiet": 1.0 / (1.0 + np.asarray(history.window_sum(60), dtype=float))}


@pytest.fixture
def uow():
    frame = synthetic_incidents(days=150)
    events = pd.DataFrame({"time": frame["time"],
                           "cell": points_to_cells(frame["latitude"].to_numpy(), frame["longitude"].to_numpy(), 9),
                           "type": frame["type"], "source": "public"})
    return FakeUnitOfWork(incidents=FakeIncidents(events), risk=FakeRisk(np.unique(events["cell"])))


@pytest.fixture
def contrarian():
    registry.register_forecaster("contrarian", kind="model", label="the quietest hexes",
                                 definition="the hexes with the fewest recent incidents")(Contrarian)
    yield "contrarian"
    registry.remove_forecaster("contrarian")


def test_when_no_model_beats_last_years_count_the_forecast_in_use_is_a_baseline(uow, contrarian):
    run_id = compute_forecast(uow, horizon="1d", models=("contrarian",))
    run = uow.risk.runs[run_id]
    backtest = run["backtest"]
    assert set(backtest["models"]) == {"naive_365", "naive_recent", "contrarian"}
    assert backtest["models"]["contrarian"]["skill_pai_5"] < 1
    assert backtest["best_model"] == "contrarian"
    assert run["model"] == backtest["best"] and backtest["kinds"][run["model"]] == "baseline"
    assert set(backtest["groups"]) == {"A", "B"}
    assert uow.commits == 1


def test_a_model_asked_for_by_name_is_used_and_still_compared_with_the_baselines(uow, contrarian):
    run_id = compute_forecast(uow, horizon="1d", model="contrarian", models=("kde",))
    run = uow.risk.runs[run_id]
    assert run["model"] == "contrarian"
    assert set(run["backtest"]["models"]) == {"naive_365", "naive_recent", "kde", "contrarian"}


def test_an_unknown_model_or_an_empty_history_stores_nothing(uow):
    with pytest.raises(RiskInputError, match="prophecy"):
        compute_forecast(uow, horizon="1d", model="prophecy")
    empty = FakeUnitOfWork(incidents=FakeIncidents(uow.incidents.frame.iloc[:0]), risk=uow.risk)
    with pytest.raises(RiskInputError, match="hexops load incidents"):
        compute_forecast(empty, horizon="1d")
    assert uow.risk.runs == {} and uow.commits == 0 and empty.commits == 0
