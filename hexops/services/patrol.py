"""Patrol use cases: plan a shift from the forecast, export it, record reported visits, measure the effect."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import datetime, timedelta

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
import psycopg

from hexops.analytics.patrol import PatrolParams, check_plan, effect_report, make_plan
from hexops.analytics.risk.errors import RiskInputError
from hexops.geodata import audit
from hexops.geodata import risk as risk_sql
from hexops.geodata.h3cells import cell_polygon, cell_to_str
from hexops.city import HONG_KONG

#: Candidate hexes per plan (the riskiest in the district).
MAX_CANDIDATES = 2000


class PatrolInputError(RiskInputError):
    """A plan request or visit report that cannot be accepted (the message says why)."""


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


def create_plan(conn: psycopg.Connection, *, district: str | None, units: int, shift_start: datetime,
                shift_hours: float = 8.0, created_by: str, resolution: int = 9,
                settings: dict | None = None) -> int:
    """Plan one shift for ``units`` units in ``district`` from the newest shift forecast.

    ``settings`` overrides :class:`PatrolParams` fields (``revisit_interval_minutes``,
    ``max_visits_per_hex``, ``holdout_share`` ...).  The seed defaults to one
    derived from the shift start, so a plan can be regenerated exactly.
    Returns the plan id; the plan is checked against every rule before it is stored.
    """
    run = risk_sql.latest_run(conn, resolution, "shift", None) or risk_sql.latest_run(conn, resolution, "1d", None)
    if run is None:
        raise PatrolInputError("no forecast yet: run `hexops risk forecast --horizon shift` first")
    rows = _with_centres(risk_sql.forecast_rows(conn, run["run_id"], district))
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
    plan_id = risk_sql.save_plan(
        conn, created_by=created_by, run_id=run["run_id"], district=district, shift_start=shift_start,
        shift_end=shift_start + timedelta(hours=shift_hours), units=units, objective=plan.objective,
        params=stored, hexes=hexes, visits=visits, bases=plan.bases,
    )
    audit.record(conn, actor=created_by, action="patrol.plan", target=f"plan:{plan_id}",
                 details={"district": district, "units": units, "visits": len(visits), "holdout": len(held)})
    return plan_id


def plan_detail(conn: psycopg.Connection, plan_id: int) -> dict:
    plan = risk_sql.get_plan(conn, plan_id)
    if plan is None:
        raise PatrolInputError(f"no patrol plan {plan_id}")
    return {
        "plan": plan,
        "visits": _with_centres(risk_sql.plan_visits(conn, plan_id)),
        "hexes": risk_sql.plan_hexes(conn, [plan_id]),
        "bases": risk_sql.plan_bases(conn, plan_id),
    }


def export_csv(conn: psycopg.Connection, plan_id: int) -> str:
    """The plan's visits as CSV, one row per visit, times in Hong Kong time."""
    detail = plan_detail(conn, plan_id)
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


def export_geojson(conn: psycopg.Connection, plan_id: int) -> dict:
    """Hexes (with role and visits) and each unit's tour line, WGS84 (EPSG:4326)."""
    detail = plan_detail(conn, plan_id)
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
    return {"type": "FeatureCollection", "properties": {"plan_id": plan_id}, "features": features}


def report_visit(conn: psycopg.Connection, *, plan_id: int, unit: int, h3: int, started_at: datetime,
                 ended_at: datetime, reported_by: str) -> tuple[int, bool]:
    """Record a unit's visit (dosage).  ``unit`` is 1-based as printed on the plan."""
    plan = risk_sql.get_plan(conn, plan_id)
    if plan is None:
        raise PatrolInputError(f"no patrol plan {plan_id}")
    if not 1 <= unit <= plan["units"]:
        raise PatrolInputError(f"unit {unit} is not on plan {plan_id} (units 1..{plan['units']})")
    if ended_at <= started_at:
        raise PatrolInputError("ended_at must be after started_at")
    if ended_at - started_at > timedelta(hours=4):
        raise PatrolInputError("a visit longer than 4 hours is not a patrol visit")
    slack = timedelta(hours=2)
    if started_at < plan["shift_start"] - slack or ended_at > plan["shift_end"] + slack:
        raise PatrolInputError(f"the visit lies outside plan {plan_id}'s shift")
    hexes = risk_sql.plan_hexes(conn, [plan_id])
    if h3 not in set(hexes["h3"].tolist()):
        raise PatrolInputError(f"hex {cell_to_str(h3)} is not in plan {plan_id}'s area")
    visit_id, created = risk_sql.record_visit(conn, plan_id=plan_id, unit=unit - 1, h3=h3, started_at=started_at,
                                              ended_at=ended_at, reported_by=reported_by)
    if created:
        audit.record(conn, actor=reported_by, action="patrol.visit", target=f"plan:{plan_id}",
                     details={"unit": unit, "h3": cell_to_str(h3), "minutes": (ended_at - started_at).seconds / 60})
    return visit_id, created


def effect(conn: psycopg.Connection, plan_ids: list[int], resolution: int = 9) -> dict:
    """Treated against held-out hexes over ``plan_ids``: observed public reports vs forecast."""
    if not plan_ids:
        raise PatrolInputError("no plans to measure")
    hexes = risk_sql.plan_hexes(conn, plan_ids)
    hexes = hexes[hexes["role"] != "other"].groupby(["h3", "role"], as_index=False)["expected"].sum()
    observed = pd.Series(dtype=float)
    for plan_id in plan_ids:
        plan = risk_sql.get_plan(conn, plan_id)
        found = risk_sql.public_incidents_by_cell(conn, resolution, plan["shift_start"], plan["shift_end"])
        observed = observed.add(found, fill_value=0.0)
    report = effect_report(hexes.rename(columns={"h3": "cell"}), observed, risk_sql.dosage(conn, plan_ids))
    report["plans"] = list(plan_ids)
    return report
