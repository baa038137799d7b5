"""Every rule a patrol plan must keep, checked on the plan itself."""

from __future__ import annotations

import numpy as np

from hexops.analytics.patrol.model import PatrolPlan, travel_minutes

#: Slack for floating-point travel times (minutes).
EPS = 1e-6


def check_plan(plan: PatrolPlan) -> list[str]:
    """Violations of the plan's own parameters (empty when the plan is valid)."""
    p = plan.params
    v = plan.visits
    problems: list[str] = []
    if v.empty:
        return problems
    length = v["end_min"] - v["start_min"]
    for row in v[(length < p.visit_min - EPS) | (length > p.visit_max + EPS)].itertuples():
        problems.append(f"unit {row.unit} visit {row.seq}: {row.end_min - row.start_min:.1f} min outside "
                        f"{p.visit_min}-{p.visit_max}")
    units = set(v["unit"].unique().tolist())
    if not units <= set(range(p.units)):
        problems.append(f"units {sorted(units - set(range(p.units)))} are not among the {p.units} on shift")
    per_hex = v["cell"].value_counts()
    for cell, n in per_hex[per_hex > p.max_visits_per_hex].items():
        problems.append(f"hex {cell}: {n} visits exceed the cap of {p.max_visits_per_hex}")
    held = set(plan.holdout.tolist()) & set(per_hex.index.tolist())
    problems += [f"held-out hex {cell} is visited" for cell in sorted(held)]
    allowed = set(plan.candidates["cell"].tolist())
    problems += [f"hex {cell} is not a candidate" for cell in sorted(set(per_hex.index) - allowed)]
    for cell, group in v.sort_values("start_min").groupby("cell"):
        gaps = group["start_min"].to_numpy()[1:] - group["end_min"].to_numpy()[:-1]
        if (gaps < p.revisit_interval_minutes - EPS).any():
            problems.append(f"hex {cell} revisited after {gaps.min():.1f} min < {p.revisit_interval_minutes}")
    centres = plan.candidates.set_index("cell")
    for unit, tour in v.sort_values(["unit", "seq"]).groupby("unit"):
        base = plan.bases.loc[plan.bases["unit"] == unit, ["lat", "lon"]].to_numpy()[0]
        lat = np.concatenate([[base[0]], centres.loc[tour["cell"], "lat"].to_numpy(), [base[0]]])
        lon = np.concatenate([[base[1]], centres.loc[tour["cell"], "lon"].to_numpy(), [base[1]]])
        legs = travel_minutes(lat[:-1], lon[:-1], lat[1:], lon[1:], p)
        ready = np.concatenate([[0.0], tour["end_min"].to_numpy()])
        starts = tour["start_min"].to_numpy()
        if (starts + EPS < ready[:-1] + legs[:-1]).any():
            problems.append(f"unit {unit}: a visit starts before the unit can get there")
        if ready[-1] + legs[-1] > p.shift_minutes + EPS:
            problems.append(f"unit {unit}: back at base after {ready[-1] + legs[-1]:.1f} min, "
                            f"beyond the {p.shift_minutes:.0f} min shift")
    return problems
