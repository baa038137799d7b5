"""The exception tree of analytics.risk."""

from __future__ import annotations

from hexops.errors import HexopsError, InputError


class RiskError(HexopsError):
    """Base of every error raised by the risk forecasters, metrics and backtests."""


class RiskInputError(RiskError, InputError):
    """Input that cannot be used (missing column, bad horizon, empty study area)."""


class FutureLeakError(RiskError):
    """A forecaster asked for data at or after its cutoff."""
