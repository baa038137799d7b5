"""Patrol plans from a risk forecast: which hexes, which unit, in what order.

Pure: DataFrames in, a :class:`PatrolPlan` out.  Optimisation by HiGHS
(``scipy.optimize.milp``) and scikit-learn's k-means; no hand-written solver.
"""

from __future__ import annotations

from hexops.analytics.patrol.check import check_plan
from hexops.analytics.patrol.effect import effect_report
from hexops.analytics.patrol.model import PatrolParams, PatrolPlan, travel_minutes
from hexops.analytics.patrol.plan import make_plan

__all__ = ["PatrolParams", "PatrolPlan", "check_plan", "effect_report", "make_plan", "travel_minutes"]
