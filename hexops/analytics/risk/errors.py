"""The exception tree of analytics.risk."""

from __future__ import annotations


class RiskError(Exception):
    """Base of every error raised by the risk forecasters, metrics and backtests."""


class RiskInputError(RiskError, ValueError):
    """Input that cannot be used (missing column, bad horizon, empty study area)."""


class FutureLeakError(RiskError):
    """A forecaster asked for data at or after its cutoff."""
