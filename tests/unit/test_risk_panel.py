"""The forecast panel's plain words: the forecast in use against counting last year's incidents."""

from __future__ import annotations

import pytest

from hexops.analytics.risk.verdict import verdict
from hexops.dashboard.components.forecast_panel import forecast_panel, plain_words


def _report(scores: dict[str, tuple[float, float]], groups: dict | None = None, origins: int = 28,
            bin_hours: float = 24.0) -> dict:
    """A stored backtest: ``scores`` maps a model to (PAI at 5%, hit rate at 5%)."""
    report = {
        "models": {name: {"pai_5": pai, "hit_rate_5": hit, "incidents": 100.0} for name, (pai, hit) in scores.items()},
        "origins": origins, "bin_hours": bin_hours,
        "best_model": max((n for n in scores if not n.startswith("naive")), key=lambda n: scores[n][0], default=None),
    }
    if groups is not None:
        report["groups"] = groups
    return report


def _text(component) -> str:
    """Every string in a Dash component tree, joined."""
    if isinstance(component, str):
        return component
    children = getattr(component, "children", None)
    if children is None:
        return ""
    if not isinstance(children, (list, tuple)):
        children = [children]
    return " ".join(_text(child) for child in children)


def test_a_model_that_beats_last_years_count_is_described_against_it():
    report = _report({"naive_365": (4.7, 0.236), "naive_recent": (4.3, 0.214), "hawkes": (4.9, 0.246)})
    words = plain_words(verdict(report, "hawkes"))
    assert words == ["Over the last 28 days this forecast put 25% of incidents in the 5% of the city it flagged; "
                     "counting last year's incidents would have caught 24%."]


def test_close_figures_get_a_decimal_so_they_do_not_read_as_equal():
    report = _report({"naive_365": (4.7, 0.2361), "naive_recent": (4.3, 0.21), "gbm": (4.8, 0.2374)})
    assert "put 23.7% of incidents" in plain_words(verdict(report, "gbm"))[0]
    assert "would have caught 23.6%" in plain_words(verdict(report, "gbm"))[0]


def test_when_no_model_beats_last_years_count_the_page_says_so_and_shows_that_count():
    report = _report({"naive_365": (4.7, 0.236), "naive_recent": (4.3, 0.214), "kde": (4.3, 0.216)})
    words = plain_words(verdict(report, "naive_365"))
    assert words == ["No forecasting model did better than counting last year's incidents over the last 28 days, "
                     "so the map shows that count: it put 24% of incidents in the 5% of the city it flagged."]


def test_a_forced_model_that_loses_to_last_years_count_is_not_dressed_up():
    report = _report({"naive_365": (4.7, 0.236), "naive_recent": (4.3, 0.214), "kde": (4.3, 0.216)})
    words = plain_words(verdict(report, "kde"))
    assert "put 22% of incidents" in words[0] and "would have caught 24%" in words[0]
    assert words[1] == "No forecasting model beat counting last year's incidents over this span."


def test_a_district_gets_its_own_figures_and_a_warning_when_the_count_did_better_there():
    groups = {"K": {"naive_365": {"hit_rate_5": 0.30, "pai_5": 6.0, "incidents": 40.0},
                    "hawkes": {"hit_rate_5": 0.25, "pai_5": 5.0, "incidents": 40.0}}}
    report = _report({"naive_365": (4.7, 0.236), "naive_recent": (4.3, 0.214), "hawkes": (4.9, 0.246)}, groups,
                     origins=42, bin_hours=8.0)
    words = plain_words(verdict(report, "hawkes", "K"), district_label="K")
    assert words[0] == ("Over the last 14 days this forecast put 25% of incidents in the 5% of the district it "
                        "flagged; counting last year's incidents would have caught 30%.")
    assert words[1] == "In this district counting last year's incidents did better."


def test_a_district_without_incidents_in_the_span_says_there_is_nothing_to_compare():
    groups = {"Q": {"naive_365": {"hit_rate_5": None, "pai_5": None, "incidents": 0.0},
                    "hawkes": {"hit_rate_5": None, "pai_5": None, "incidents": 0.0}}}
    report = _report({"naive_365": (4.7, 0.236), "hawkes": (4.9, 0.246)}, groups, origins=8, bin_hours=168.0)
    words = plain_words(verdict(report, "hawkes", "Q"), district_label="Q")
    assert words == ["No incidents were recorded in Q over the last 56 days, so there is nothing yet to compare "
                     "this forecast with."]


def test_a_forecast_stored_before_the_baselines_says_the_next_one_will_tell_without_a_command_line():
    old = {"models": {"kde": {"pai_5": 4.3, "hit_rate_5": 0.21}}, "origins": 28}
    assert verdict(old, "kde") is None
    assert "the next forecast" in plain_words(None)[0] and "hexops risk" not in plain_words(None)[0]


def test_the_panel_keeps_the_technical_table_and_definitions_behind_details():
    report = _report({"naive_365": (4.7, 0.236), "naive_recent": (4.3, 0.214), "hawkes": (4.9, 0.246)})
    report["kinds"] = {"naive_365": "baseline", "naive_recent": "baseline", "hawkes": "model"}
    run = {"model": "hawkes", "backtest": report}
    panel = forecast_panel(run, verdict(report, "hawkes"), prefix="commander")
    verdict_line, details = panel.children[0], panel.children[-1]
    assert verdict_line.id == "commander-forecast-verdict" and verdict_line.children.startswith("Over the last")
    assert details.id == "commander-forecast-details" and not getattr(details, "open", False)
    inside = _text(details)
    assert "Details" in inside and "naive_365" in inside and "hawkes (in use)" in inside
    for term in ("PAI", "PEI", "hits 5%", "skill", "last 365 days", "halving every 30 days", "Hawkes"):
        assert term in inside


@pytest.mark.parametrize("model", ["naive_365", "hawkes"])
def test_the_verdict_reads_the_span_from_the_report(model):
    report = _report({"naive_365": (4.7, 0.236), "hawkes": (4.9, 0.246)}, origins=8, bin_hours=168.0)
    found = verdict(report, model)
    assert found.days == 56 and found.model == model and found.model_is_baseline == (model == "naive_365")
    assert found.any_model_beats_reference
