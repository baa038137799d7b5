"""Patrol use cases: draft a shift's plan from the forecast, issue it, export it, record visits, measure the effect.

A plan is a *draft* until a commander issues it: drafting is free (a new
draft for the same district and shift replaces the commander's earlier
one), and only issued plans count in planned attention, dosage, the effect
report and the bias audit; visits can be reported against issued plans
only.  Every function takes a unit of work and owns its transaction.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import datetime, timedelta

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd

from hexops.analytics.patrol import PatrolParams, check_plan, effect_report, make_plan
from hexops.analytics.risk.errors import RiskInputError
from hexops.city import HONG_KONG
from hexops.errors import ConflictError, NotFoundError
from hexops.geodata.h3cells import cell_polygon, cell_to_str
from hexops.geodata.uow import UnitOfWork
from hexops.services import gazetteer, validation

#: Candidate hexes per plan (the riskiest in the district).
MAX_CANDIDATES = 2000


class PatrolInputError(RiskInputError):
    """A plan request or visit report that cannot be accepted (the message says why)."""


class PlanNotFound(PatrolInputError, NotFoundError):
    """No patrol plan with that id (HTTP 404)."""

    status = NotFoundError.status


class PlanStateError(PatrolInputError, ConflictError):
    """The plan is not in the state the request needs (issuing an issued plan, a visit to a draft)."""

    status = ConflictError.status


def _with_centres(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill ``lat``/``lon`` (WGS84) from H3 where the land grid has no stored centre
    (incidents loaded before any city), so plans and exports never lack a position."""
    frame = frame.astype({"lat": float, "lon": float})
    missing = frame["lat"].isna() | frame["lon"].isna()
    if missing.any():
        centres = np.array([h3i.cell_to_latlng(int(c)) for c in frame.loc[missing, "h3"]])
        frame.loc[missing, "lat"] = centres[:, 0]
        frame.loc[missing, "lon"] = centres[:, 1]
    return frame


def create_plan(uow: UnitOfWork, *, district: str | None, units: int, shift_start: datetime,
                shift_hours: float = 8.0, created_by: str, resolution: int = 9,
                settings: dict | None = None) -> int:
    """Draft one shift's plan for ``units`` units in ``district`` from the newest shift forecast.

    ``settings`` overrides :class:`PatrolParams` fields (``revisit_interval_minutes``,
    ``max_visits_per_hex``, ``holdout_share`` ...).  The seed defaults to one
    derived from the shift start, so a plan can be regenerated exactly.
    The plan is checked against every rule before it is stored, as a draft
    that replaces ``created_by``'s earlier draft for the same district and
    shift (audited ``patrol.draft``); :func:`issue_plan` puts it in force.
    Returns the plan id.

    Raises
    ------
    PatrolInputError
        ``units`` is not a whole number from 1 to
        :data:`hexops.services.validation.MAX_PATROL_UNITS` (naming ``units``),
        or no forecast covers the district.
    """
    try:
        units = validation.patrol_units(units)
    except validation.FieldError as exc:
        raise validation.carry(exc, PatrolInputError(str(exc), field=exc.field)) from None
    with uow:
        plan_id = _draft(uow, district=district, units=units, shift_start=shift_start, shift_hours=shift_hours,
                         created_by=created_by, resolution=resolution, settings=settings)
        uow.commit()
    return plan_id


def _draft(uow: UnitOfWork, *, district, units, shift_start, shift_hours, created_by, resolution, settings) -> int:
    risk_sql = uow.risk
    run = risk_sql.latest_run(resolution, "shift", None) or risk_sql.latest_run(resolution, "1d", None)
    if run is None:
        raise PatrolInputError("no forecast yet: run `hexops risk forecast --horizon shift` first")
    rows = _with_centres(risk_sql.forecast_rows(run["run_id"], district))
    if rows.empty:
        raise PatrolInputError(f"district {district!r} has no forecast hexes")
    bin_hours = (run["window_end"] - run["window_start"]).total_seconds() / 3600.0
    rows = rows.nlargest(MAX_CANDIDATES, "expected")
    candidates = pd.DataFrame({"cell": rows["h3"].to_numpy(dtype=np.int64), "lat": rows["lat"].to_numpy(float),
                               "lon": rows["lon"].to_numpy(float),
                               "risk": rows["expected"].to_numpy(float) * shift_hours / bin_hours})
    shift_start = pd.Timestamp(shift_start).tz_convert("UTC").to_pydatetime()
    options = {"seed": int(shift_start.timestamp()) % (2**31), **(settings or {})}
    try:
        params = PatrolParams(units=units, shift_minutes=shift_hours * 60.0, **options)
    except (TypeError, ValueError) as exc:
        raise PatrolInputError(str(exc)) from exc
    plan = make_plan(candidates, params)
    problems = check_plan(plan)
    if problems:
        raise PatrolInputError("the plan broke its own rules: " + "; ".join(problems[:5]))
    visits = plan.visits.rename(columns={"cell": "h3"})
    visits["planned_start"] = [shift_start + timedelta(minutes=m) for m in visits["start_min"]]
    visits["planned_end"] = [shift_start + timedelta(minutes=m) for m in visits["end_min"]]
    treated = set(plan.treated().tolist())
    held = set(plan.holdout.tolist())
    hexes = pd.DataFrame({
        "h3": candidates["cell"],
        "role": ["treated" if c in treated else "holdout" if c in held else "other" for c in candidates["cell"]],
        "expected": candidates["risk"],
    })
    stored = asdict(params)
    stored.update({"dropped_visits": plan.dropped, "timings": plan.timings})
    replaced = risk_sql.delete_drafts(created_by, district, shift_start)
    plan_id = risk_sql.save_plan(
        created_by=created_by, run_id=run["run_id"], district=district, shift_start=shift_start,
        shift_end=shift_start + timedelta(hours=shift_hours), units=units, objective=plan.objective,
        params=stored, hexes=hexes, visits=visits, bases=plan.bases,
    )
    uow.audit.record(actor=created_by, action="patrol.draft", target=f"plan:{plan_id}",
                     details={"district": district, "units": units, "visits": len(visits), "holdout": len(held),
                              "drafts_replaced": replaced})
    return plan_id


def issue_plan(uow: UnitOfWork, plan_id: int, *, actor: str, at: datetime) -> dict:
    """Put a draft in force (audited ``patrol.issue``); returns the plan.

    Raises
    ------
    PlanNotFound
        No such plan.
    PlanStateError
        The plan was already issued.
    """
    with uow:
        if uow.risk.get_plan(plan_id) is None:
            raise PlanNotFound(f"plan_id: no patrol plan {plan_id}", field="plan_id")
        if not uow.risk.issue_plan(plan_id, actor, at):
            raise PlanStateError(f"plan_id: plan {plan_id} is already issued", field="plan_id")
        uow.audit.record(actor=actor, action="patrol.issue", target=f"plan:{plan_id}", details={"at": at.isoformat()})
        plan = uow.risk.get_plan(plan_id)
        uow.commit()
    return plan


def plan_detail(uow: UnitOfWork, plan_id: int) -> dict:
    """A plan (draft or issued) with its visits, hexes and unit bases."""
    with uow:
        plan = uow.risk.get_plan(plan_id)
        if plan is None:
            raise PlanNotFound(f"plan_id: no patrol plan {plan_id}", field="plan_id")
        visits = _with_centres(uow.risk.plan_visits(plan_id))
        names = gazetteer.name_points(uow, {str(i): (la, lo) for i, la, lo in
                                            zip(range(len(visits)), visits["lat"], visits["lon"])})
        return {
            "plan": plan,
            # Each stop named by the nearest place ("Kowloon Park, 180 m north-west").
            "visits": visits.assign(place=[names.get(str(i), "") for i in range(len(visits))]),
            "hexes": uow.risk.plan_hexes([plan_id]),
            "bases": uow.risk.plan_bases(plan_id),
        }


def latest_plan_id(uow: UnitOfWork, username: str | None) -> int | None:
    """The plan a commander's page opens on: their newest draft or the newest issued plan, whichever is newer."""
    with uow:
        recent = uow.risk.recent_plans(1, drafts_of=username)
    return recent[0]["plan_id"] if recent else None


def plan_with_effect(uow: UnitOfWork, plan_id: int, days: int = 28) -> tuple[dict, dict | None]:
    """A plan's detail and the effect report over the issued plans of the ``days`` before its shift
    (None when there are none yet: a first draft)."""
    detail = plan_detail(uow, plan_id)
    start = detail["plan"]["shift_start"]
    with uow:
        recent = uow.risk.plans_between(start - timedelta(days=days), start + timedelta(days=1))
    return detail, (effect(uow, recent) if recent else None)


def export_csv(uow: UnitOfWork, plan_id: int) -> str:
    """The plan's visits as CSV, one row per visit, times in Hong Kong time."""
    detail = plan_detail(uow, plan_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["plan_id", "unit", "seq", "h3", "start_hkt", "end_hkt", "minutes", "lat", "lon",
                     "expected_incidents"])
    for v in detail["visits"].itertuples():
        start = pd.Timestamp(v.planned_start).tz_convert(HONG_KONG.time_zone)
        end = pd.Timestamp(v.planned_end).tz_convert(HONG_KONG.time_zone)
        writer.writerow([plan_id, v.unit + 1, v.seq + 1, cell_to_str(v.h3), start.strftime("%Y-%m-%d %H:%M"),
                         end.strftime("%Y-%m-%d %H:%M"), round((end - start).total_seconds() / 60),
                         f"{v.lat:.6f}", f"{v.lon:.6f}", f"{v.expected:.4f}"])
    return out.getvalue()


def export_geojson(uow: UnitOfWork, plan_id: int) -> dict:
    """Hexes (with role and visits) and each unit's tour line, WGS84 (EPSG:4326)."""
    detail = plan_detail(uow, plan_id)
    visits = detail["visits"]
    counts = visits["h3"].value_counts()
    features = []
    for h in detail["hexes"].itertuples():
        if h.role == "other":
            continue
        features.append({"type": "Feature", "geometry": cell_polygon(h.h3).__geo_interface__, "properties": {
            "kind": "hex", "h3": cell_to_str(h.h3), "role": h.role, "expected": round(h.expected, 4),
            "visits": int(counts.get(h.h3, 0))}})
    bases = detail["bases"].set_index("unit")
    for unit, tour in visits.groupby("unit"):
        base = bases.loc[unit]
        coords = [[base.lon, base.lat]] + tour[["lon", "lat"]].to_numpy().tolist() + [[base.lon, base.lat]]
        features.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
                         "properties": {"kind": "tour", "unit": int(unit) + 1, "visits": int(len(tour))}})
    return {"type": "FeatureCollection", "properties": {"plan_id": plan_id, "status": detail["plan"]["status"]},
            "features": features}


def report_visit(uow: UnitOfWork, *, plan_id: int, unit: int, h3: int, started_at: datetime,
                 ended_at: datetime, reported_by: str) -> tuple[int, bool]:
    """Record a unit's visit to an issued plan (dosage).  ``unit`` is 1-based as printed on the plan."""
    with uow:
        visit_id, created = _report_visit(uow, plan_id=plan_id, unit=unit, h3=h3, started_at=started_at,
                                          ended_at=ended_at, reported_by=reported_by)
        uow.commit()
    return visit_id, created


def _report_visit(uow: UnitOfWork, *, plan_id, unit, h3, started_at, ended_at, reported_by) -> tuple[int, bool]:
    plan = uow.risk.get_plan(plan_id)
    if plan is None:
        raise PlanNotFound(f"plan_id: no patrol plan {plan_id}", field="plan_id")
    if plan["status"] != "issued":
        raise PlanStateError(f"plan_id: plan {plan_id} is a draft; visits are reported against issued plans only",
                             field="plan_id")
    if not 1 <= unit <= plan["units"]:
        raise PatrolInputError(f"unit {unit} is not on plan {plan_id} (units 1..{plan['units']})")
    if ended_at <= started_at:
        raise PatrolInputError("ended_at must be after started_at")
    if ended_at - started_at > timedelta(hours=4):
        raise PatrolInputError("a visit longer than 4 hours is not a patrol visit")
    slack = timedelta(hours=2)
    if started_at < plan["shift_start"] - slack or ended_at > plan["shift_end"] + slack:
        raise PatrolInputError(f"the visit lies outside plan {plan_id}'s shift")
    hexes = uow.risk.plan_hexes([plan_id])
    if h3 not in set(hexes["h3"].tolist()):
        raise PatrolInputError(f"hex {cell_to_str(h3)} is not in plan {plan_id}'s area")
    visit_id, created = uow.risk.record_visit(plan_id=plan_id, unit=unit - 1, h3=h3, started_at=started_at,
                                              ended_at=ended_at, reported_by=reported_by)
    if created:
        uow.audit.record(actor=reported_by, action="patrol.visit", target=f"plan:{plan_id}",
                         details={"unit": unit, "h3": cell_to_str(h3), "minutes": (ended_at - started_at).seconds / 60})
    return visit_id, created


def effect(uow: UnitOfWork, plan_ids: list[int], resolution: int = 9) -> dict:
    """Treated against held-out hexes over the issued plans among ``plan_ids``: observed public reports
    vs forecast, and reported dosage.  Drafts are left out (``report["drafts_ignored"]``)."""
    if not plan_ids:
        raise PatrolInputError("plans: no plans to measure", field="plans")
    with uow:
        plans = {p: uow.risk.get_plan(p) for p in plan_ids}
        missing = [p for p, plan in plans.items() if plan is None]
        if missing:
            raise PlanNotFound(f"plans: no patrol plan {missing[0]}", field="plans")
        issued = [p for p, plan in plans.items() if plan["status"] == "issued"]
        if not issued:
            raise PatrolInputError("plans: every plan given is a draft; only issued plans are measured",
                                   field="plans")
        hexes = uow.risk.plan_hexes(issued)
        hexes = hexes[hexes["role"] != "other"].groupby(["h3", "role"], as_index=False)["expected"].sum()
        observed = pd.Series(dtype=float)
        for plan_id in issued:
            plan = plans[plan_id]
            found = uow.risk.public_incidents_by_cell(resolution, plan["shift_start"], plan["shift_end"])
            observed = observed.add(found, fill_value=0.0)
        report = effect_report(hexes.rename(columns={"h3": "cell"}), observed, uow.risk.dosage(issued))
    report["plans"] = issued
    report["drafts_ignored"] = sorted(set(plan_ids) - set(issued))
    return report


def draft_next_shift(uow: UnitOfWork, *, district: str | None, units: int, created_by: str,
                     resolution: int = 9) -> int:
    """Draft a plan for the shift of the newest shift forecast (or the next day's), as the commander's page does."""
    try:
        units = validation.patrol_units(units)
    except validation.FieldError as exc:
        raise validation.carry(exc, PatrolInputError(str(exc), field=exc.field)) from None
    with uow:
        run = uow.risk.latest_run(resolution, "shift", None) or uow.risk.latest_run(resolution, "1d", None)
    if run is None:
        raise PatrolInputError("no forecast yet: the forecast job makes one every few minutes; "
                               "try again shortly, or ask an administrator to check the System page")
    return create_plan(uow, district=district, units=units, shift_start=run["window_start"],
                       created_by=created_by, resolution=resolution)
