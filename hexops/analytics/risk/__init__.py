"""Crime-risk forecasting on H3 cells: forecasters, metrics, backtests, feedback guard and audit.

Pure: arrays and DataFrames in, results out; no database, no Dash.
"""

from __future__ import annotations

from hexops.analytics.risk.backtest import BacktestResult, run_backtest
from hexops.analytics.risk.base import Forecaster
from hexops.analytics.risk.errors import FutureLeakError, RiskError, RiskInputError
from hexops.analytics.risk.gbm import GradientBoosted
from hexops.analytics.risk.hawkes import HawkesGrid
from hexops.analytics.risk.history import CountMatrix, History, build_counts, parse_horizon
from hexops.analytics.risk.kde import KernelDensity

#: The forecasters hexops compares, by report name.
MODELS = {"kde": KernelDensity, "hawkes": HawkesGrid, "gbm": GradientBoosted}


def make_models(names: list[str] | tuple[str, ...] = ("kde", "hawkes", "gbm")) -> list[Forecaster]:
    """Fresh forecasters with their default settings."""
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise RiskInputError(f"unknown model(s) {unknown}; choose from {sorted(MODELS)}")
    return [MODELS[n]() for n in names]


__all__ = [
    "BacktestResult", "CountMatrix", "Forecaster", "FutureLeakError", "GradientBoosted", "HawkesGrid",
    "History", "KernelDensity", "MODELS", "RiskError", "RiskInputError", "build_counts", "make_models",
    "parse_horizon", "run_backtest",
]
