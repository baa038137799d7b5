"""Choosing visits: per-sector knapsacks for plans of any size, one exact MILP for small checks.

Each visit of hex ``h`` by unit ``u`` is budgeted at ``visit_max + 2 * travel(base_u, h)``
minutes: a star tour from the unit's base.  By the triangle inequality a tour
through the same hexes in *any* order is no longer, so the random visit order
the schedule needs can never overrun the budget.  Values fall with each
repeat visit (see :meth:`PatrolParams.slot_values`), so a hex's k-th visit is
only chosen after its earlier ones.

Large plans split the city into one sector per unit (risk-weighted k-means
on the candidates, each hex to its nearest base) and solve each unit's
knapsack exactly with OR-Tools' knapsack solver.  The joint problem
(every unit may take any hex) is a generalised assignment MILP;
:func:`solve_exact` solves it with HiGHS (``scipy.optimize.milp``) for small instances so the benchmark can report
the sector heuristic's gap.
"""

from __future__ import annotations

import numpy as np
from ortools.algorithms.python import knapsack_solver
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from hexops.analytics.patrol.model import PatrolParams, travel_minutes

#: Relative MIP gap HiGHS may stop at in the exact joint MILP.
MIP_GAP = 1e-4
#: Integer profit units per expected incident in the sector knapsacks.
VALUE_SCALE = 1e6


def unit_bases(lat: np.ndarray, lon: np.ndarray, risk: np.ndarray, units: int, seed: int) -> np.ndarray:
    """Where each unit is based: risk-weighted k-means centres of the candidates (lat, lon rows)."""
    n_clusters = min(units, len(lat))
    scale = np.cos(np.radians(np.mean(lat)))
    xy = np.column_stack([lat, lon * scale])
    weights = np.asarray(risk, dtype=float) + 1e-9
    # One thread: OpenMP workers spinning on a busy shared machine slow k-means down.
    with threadpool_limits(limits=1):
        km = KMeans(n_clusters=n_clusters, n_init=1, random_state=seed).fit(xy, sample_weight=weights)
    centres = km.cluster_centers_
    centres = np.column_stack([centres[:, 0], centres[:, 1] / scale])
    if n_clusters < units:
        # More units than hexes: the extra units share the busiest bases.
        busiest = np.argsort(-np.bincount(km.labels_, weights=weights, minlength=n_clusters))
        extra = centres[np.resize(busiest, units - n_clusters)]
        centres = np.vstack([centres, extra])
    return centres


def visit_costs(lat, lon, bases: np.ndarray, params: PatrolParams) -> np.ndarray:
    """Budgeted minutes per visit, units (rows) x hexes (columns)."""
    travel = travel_minutes(bases[:, 0][:, None], bases[:, 1][:, None], lat[None, :], lon[None, :], params)
    return params.visit_max + 2.0 * travel


def _knapsack(values: np.ndarray, costs: np.ndarray, budget: float) -> np.ndarray:
    """Visits per hex maximising value within budget; ``values`` hexes x slots, ``costs`` per hex (min).

    OR-Tools' branch-and-bound knapsack solver needs integers: costs are
    rounded *up* to tenths of a minute and the budget down, so a chosen set
    always fits; values keep six significant decimals of an incident.
    """
    n_hex, n_slot = values.shape
    if n_hex == 0:
        return np.zeros(0, dtype=int)
    solver = knapsack_solver.KnapsackSolver(
        knapsack_solver.SolverType.KNAPSACK_MULTIDIMENSION_BRANCH_AND_BOUND_SOLVER, "patrol-sector")
    profits = np.rint(values.ravel() * VALUE_SCALE).astype(np.int64)
    weights = np.repeat(np.ceil(costs * 10.0).astype(np.int64), n_slot)
    solver.init(profits.tolist(), [weights.tolist()], [int(np.floor(budget * 10.0))])
    solver.solve()
    taken = np.array([solver.best_solution_contains(i) for i in range(profits.size)], dtype=int)
    return taken.reshape(n_hex, n_slot).sum(axis=1)


def solve_sectors(lat, lon, risk, bases: np.ndarray, params: PatrolParams) -> tuple[np.ndarray, np.ndarray]:
    """Sector heuristic: ``(unit per hex, visits per hex)`` for the eligible candidates."""
    costs = visit_costs(lat, lon, bases, params)
    unit = np.argmin(costs, axis=0)
    values = params.slot_values(np.asarray(risk, dtype=float))
    visits = np.zeros(len(lat), dtype=int)
    for u in range(len(bases)):
        idx = np.flatnonzero(unit == u)
        visits[idx] = _knapsack(values[idx], costs[u, idx], params.shift_minutes)
    return unit, visits


def solve_exact(lat, lon, risk, bases: np.ndarray, params: PatrolParams,
                time_limit: float = 60.0) -> tuple[float, np.ndarray]:
    """The joint assignment MILP: any unit may take any hex's visits.

    Returns the optimal value (expected incidents covered) and visits per
    (unit, hex).  Sizes grow as units x hexes x slots: keep it small.
    """
    costs = visit_costs(lat, lon, bases, params)
    values = params.slot_values(np.asarray(risk, dtype=float))
    n_unit, n_hex = costs.shape
    n_slot = values.shape[1]
    # Variable (u, h, k) is at u * n_hex * n_slot + h * n_slot + k.
    idx = np.arange(n_unit * n_hex * n_slot).reshape(n_unit, n_hex, n_slot)
    c = -np.broadcast_to(values[None, :, :], idx.shape).ravel()
    # Each (hex, slot) at most once over all units.
    rows_a = np.broadcast_to(np.arange(n_hex * n_slot).reshape(n_hex, n_slot)[None], idx.shape).ravel()
    once = coo_matrix((np.ones(idx.size), (rows_a, idx.ravel())), shape=(n_hex * n_slot, idx.size))
    # Each unit within its shift.
    rows_b = np.broadcast_to(np.arange(n_unit)[:, None, None], idx.shape).ravel()
    data_b = np.broadcast_to(costs[:, :, None], idx.shape).ravel()
    budget = coo_matrix((data_b, (rows_b, idx.ravel())), shape=(n_unit, idx.size))
    res = milp(
        c,
        constraints=[LinearConstraint(once, -np.inf, 1), LinearConstraint(budget, -np.inf, params.shift_minutes)],
        integrality=np.ones(idx.size), bounds=Bounds(0, 1),
        options={"time_limit": time_limit, "mip_rel_gap": MIP_GAP},
    )
    if res.x is None:
        raise RuntimeError(f"the exact patrol MILP found no solution: {res.message}")
    chosen = np.rint(res.x).reshape(idx.shape)
    return float(-res.fun), chosen.sum(axis=2).astype(int)


def plan_value(visits_per_hex: np.ndarray, risk: np.ndarray, params: PatrolParams) -> float:
    """Expected incidents covered by ``visits_per_hex`` visits."""
    values = params.slot_values(np.asarray(risk, dtype=float))
    taken = np.arange(values.shape[1])[None, :] < np.asarray(visits_per_hex)[:, None]
    return float((values * taken).sum())
