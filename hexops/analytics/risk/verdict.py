"""How the forecast in use compared with counting last year's incidents, from a stored backtest report.

The commander's page and ``hexops risk forecast`` turn this into plain words:
"Over the last 28 days this forecast put 24% of incidents in the 5% of the
district it flagged; counting last year's incidents would have caught 22%."
Pure: a backtest report (the JSON of :meth:`BacktestResult.as_json`) in, figures out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hexops.analytics.risk.metrics import HEADLINE_SHARE
from hexops.analytics.risk.registry import REFERENCE, kind_of

_HIT = f"hit_rate_{int(round(HEADLINE_SHARE * 100))}"
_PAI = f"pai_{int(round(HEADLINE_SHARE * 100))}"


@dataclass(frozen=True)
class Verdict:
    """The figures behind the panel's sentence.

    Attributes
    ----------
    days : float
        Span of the backtest (origins x bin width), in days.
    model : str
        The forecast in use.
    model_is_baseline : bool
        True when the forecast in use is a naive count (no model beat it).
    hit_rate : float or None
        Share of the area's incidents in the 5% of its cells the forecast in
        use flagged (None when the area had no incidents in the span).
    reference_hit_rate : float or None
        The same for :data:`~analytics.risk.registry.REFERENCE` (naive_365).
    incidents : float
        Incidents in the area over the span.
    best_model : str or None
        The best forecaster that is not a baseline, city-wide.
    any_model_beats_reference : bool
        Whether any non-baseline forecaster's PAI at 5% beat naive_365's, city-wide.
    district : str or None
        The district the figures are for (None: the whole study area).
    """

    days: float
    model: str
    model_is_baseline: bool
    hit_rate: float | None
    reference_hit_rate: float | None
    incidents: float
    best_model: str | None
    any_model_beats_reference: bool
    district: str | None = None

    @property
    def beats_reference(self) -> bool | None:
        """Whether the forecast in use caught more than naive_365 in this area (None if unknown)."""
        if self.hit_rate is None or self.reference_hit_rate is None:
            return None
        return self.hit_rate > self.reference_hit_rate


def _rate(metrics: dict | None) -> float | None:
    value = None if metrics is None else metrics.get(_HIT)
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def verdict(backtest: dict, model: str, district: str | None = None) -> Verdict | None:
    """The comparison for the forecast ``model`` from its stored ``backtest``, city-wide or in ``district``.

    Returns None when the report has no naive_365 (a forecast stored before
    the baselines were part of every backtest) or no scores for ``model``.
    """
    models = backtest.get("models") or {}
    if REFERENCE not in models or model not in models:
        return None
    scores = models
    if district is not None:
        scores = (backtest.get("groups") or {}).get(district)
        if scores is None:
            return None
    days = backtest.get("origins", 0) * backtest.get("bin_hours", 24.0) / 24.0
    contenders = [name for name in models if kind_of(name) != "baseline"]
    reference_pai = models[REFERENCE].get(_PAI) or 0.0
    return Verdict(
        days=days,
        model=model,
        model_is_baseline=kind_of(model) == "baseline",
        hit_rate=_rate(scores.get(model)),
        reference_hit_rate=_rate(scores.get(REFERENCE)),
        incidents=float((scores.get(model) or {}).get("incidents", 0.0)),
        best_model=backtest.get("best_model"),
        any_model_beats_reference=any((models[name].get(_PAI) or 0.0) > reference_pai for name in contenders),
        district=district,
    )
