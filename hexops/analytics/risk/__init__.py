"""Crime-risk forecasting on H3 cells: forecasters, metrics, backtests, feedback guard and audit.

Pure: arrays and DataFrames in, results out; no database, no Dash.  The
forecasters are listed once, in :mod:`hexops.analytics.risk.registry`; each
lives in its own module under :mod:`hexops.analytics.risk.forecasters` and
is imported when the registry is first asked (scikit-learn is not imported
by this package until then).
"""

from __future__ import annotations

from hexops.analytics.risk.backtest import BacktestResult, run_backtest
from hexops.analytics.risk.base import Forecaster
from hexops.analytics.risk.errors import FutureLeakError, RiskError, RiskInputError
from hexops.analytics.risk.history import CountMatrix, History, build_counts, parse_horizon
from hexops.analytics.risk.metrics import HEADLINE_SHARE, SKILL_KEY, TABLE_METRICS
from hexops.analytics.risk.registry import (
    REFERENCE, ForecasterSpec, baseline_names, default_names, make_models, names, parse_names,
    quick_names, register_forecaster, spec, specs, with_baselines,
)

__all__ = [
    "BacktestResult", "CountMatrix", "Forecaster", "ForecasterSpec", "FutureLeakError", "HEADLINE_SHARE",
    "History", "REFERENCE", "RiskError", "RiskInputError", "SKILL_KEY", "TABLE_METRICS", "baseline_names",
    "build_counts", "default_names", "make_models", "names", "parse_horizon", "parse_names", "quick_names",
    "register_forecaster", "run_backtest", "spec", "specs", "with_baselines",
]
