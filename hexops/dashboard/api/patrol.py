"""Patrol plan API (``/api/v1/patrol``).

- ``GET /plans/<id>.csv`` and ``/plans/<id>.geojson``: the plan's visits
  (CSV, Hong Kong times) or its hexes and tours (GeoJSON, EPSG:4326).
- ``GET /plans/<id>/print``: a printable page per unit (a draft is marked DRAFT).
- ``POST /plans/<id>/issue``: put a draft in force (commanders and admins); 409 when already issued.
- ``POST /plans/<id>/visits``: a unit reports a visit, ``{"unit": 1, "h3":
  "89...", "started_at": ISO, "ended_at": ISO}``; records the dosage.
  Commanders and admins with a session; unit handsets as ``device`` tokens
  with the ``patrol:report`` scope.  A repeated report is not counted twice;
  a visit to a draft is refused (409).
- ``GET /effect?plans=1,2,3``: treated against held-out hexes (issued plans only).
"""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
from flask import Blueprint, Response, jsonify, render_template_string, request

from hexops.dashboard import access
from hexops.dashboard.context import app_context
from hexops.geodata.h3cells import cell_to_str, str_to_cell
from hexops.services import patrol as patrol_service
from hexops.city import HONG_KONG

blueprint = Blueprint("patrol", __name__, url_prefix="/api/v1/patrol")

REPORT_SCOPE = "patrol:report"
#: What an API token needs to read plans, their exports and the effect report.
READ_SCOPE = "patrol:read"


def _error(status: int, message: str):
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _refused(exc: patrol_service.PatrolInputError):
    return _error(exc.status, str(exc))


@blueprint.get("/plans/<int:plan_id>.csv")
@access.allow("commander", "admin", scope=READ_SCOPE)
def plan_csv(plan_id: int):
    try:
        body = patrol_service.export_csv(app_context().uow(), plan_id)
    except patrol_service.PatrolInputError as exc:
        return _refused(exc)
    return Response(body, content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=patrol-plan-{plan_id}.csv"})


@blueprint.get("/plans/<int:plan_id>.geojson")
@access.allow("commander", "admin", scope=READ_SCOPE)
def plan_geojson(plan_id: int):
    try:
        document = patrol_service.export_geojson(app_context().uow(), plan_id)
    except patrol_service.PatrolInputError as exc:
        return _refused(exc)
    # UTF-8 as itself (no \u escapes), sent as a file to keep rather than a page to show.
    return Response(json.dumps(document, ensure_ascii=False), content_type="application/geo+json; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=patrol-plan-{plan_id}.geojson"})


PRINT_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Patrol plan {{ plan.plan_id }}</title>
<link rel="stylesheet" href="/assets/fonts/noto-sans-hk-400.css">
<style>
 body { font-family: sans-serif, "Noto Sans HK"; margin: 1.5cm; color: #000; background: #fff; }
 @page { size: A4; margin: 1.5cm; }
 @media print { body { margin: 0; } h1 { font-size: 16pt; } a { color: #000; } }
 table { border-collapse: collapse; width: 100%; margin-bottom: 1cm; }
 th, td { border: 1px solid #444; padding: 3px 6px; font-size: 11pt; text-align: left; }
 section { page-break-after: always; }
 .note { font-size: 10pt; color: #333; }
</style></head><body>
<h1>{% if plan.status != "issued" %}DRAFT (not issued): {% endif %}Patrol plan {{ plan.plan_id }}: district {{ plan.district_code or "all" }}</h1>
<p>Shift {{ start }} to {{ end }} (Hong Kong time), {{ plan.units }} unit(s).</p>
<h2>What to do</h2>
<ol class="instructions">
 <li>Go to each stop in the order given; the order is random on purpose, so that patrols cannot be predicted.</li>
 <li>At each stop, stay on foot and walk the streets within about 200 m of the place named, for the time shown
     (12-16 minutes). Be seen, talk to people, look out for anything that needs attention.</li>
 <li>When you arrive at and leave each stop, tell the control room (by radio or the patrol app) your unit number
     and the stop number; they record the visit.</li>
 <li>If you are called away, tell the control room which stops you missed; do not make them up later.</li>
</ol>
{% for unit, rows in tours %}
<section><h2>Unit {{ unit }}</h2>
<table><thead><tr><th>Stop</th><th>Arrive</th><th>Leave</th><th>Where</th><th>Grid reference</th></tr></thead><tbody>
{% for r in rows %}<tr><td>{{ r.seq }}</td><td>{{ r.start }}</td><td>{{ r.end }}</td><td>{{ r.place }}</td>
<td class="detail">{{ r.lat }}, {{ r.lon }}<br><small>hex {{ r.h3 }}</small></td></tr>{% endfor %}
</tbody></table></section>
{% endfor %}
</body></html>"""


@blueprint.get("/plans/<int:plan_id>/print")
@access.allow("commander", "admin", scope=READ_SCOPE)
def plan_print(plan_id: int):
    try:
        detail = patrol_service.plan_detail(app_context().uow(), plan_id)
    except patrol_service.PatrolInputError as exc:
        return _refused(exc)
    plan = detail["plan"]

    def hk(ts) -> str:
        return pd.Timestamp(ts).tz_convert(HONG_KONG.time_zone).strftime("%H:%M")

    tours = []
    for unit, tour in detail["visits"].groupby("unit"):
        tours.append((int(unit) + 1, [
            {"seq": int(v.seq) + 1, "start": hk(v.planned_start), "end": hk(v.planned_end), "h3": cell_to_str(v.h3),
             "place": getattr(v, "place", "") or "unnamed place",
             "lat": f"{v.lat:.5f}", "lon": f"{v.lon:.5f}"} for v in tour.itertuples()]))
    start = pd.Timestamp(plan["shift_start"]).tz_convert(HONG_KONG.time_zone).strftime("%Y-%m-%d %H:%M")
    end = pd.Timestamp(plan["shift_end"]).tz_convert(HONG_KONG.time_zone).strftime("%Y-%m-%d %H:%M")
    return render_template_string(PRINT_TEMPLATE, plan=plan, tours=tours, start=start, end=end)


def _time(value, field: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{field}: expected an ISO-8601 time with offset")
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        raise ValueError(f"{field}: the time needs a UTC offset")
    return ts.tz_convert("UTC").to_pydatetime()


@blueprint.post("/plans/<int:plan_id>/visits")
@access.allow("commander", "admin", "device", scope=REPORT_SCOPE)
def report_visit(plan_id: int):
    # access.allow has checked the scope of a token (devices only ever hold tokens).
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, 'expected {"unit": n, "h3": "...", "started_at": ..., "ended_at": ...}')
    try:
        unit = body.get("unit")
        if not isinstance(unit, int) or isinstance(unit, bool):
            raise ValueError("unit: expected the unit number printed on the plan")
        try:
            cell = str_to_cell(str(body.get("h3", "")))
        except ValueError as exc:
            raise ValueError(f"h3: {exc}") from None
        started = _time(body.get("started_at"), "started_at")
        ended = _time(body.get("ended_at"), "ended_at")
        visit_id, created = patrol_service.report_visit(
            app_context().uow(), plan_id=plan_id, unit=unit, h3=cell, started_at=started, ended_at=ended,
            reported_by=access.current_user().username)
    except patrol_service.PatrolInputError as exc:
        return _refused(exc)
    except ValueError as exc:
        return _error(400, str(exc))
    return jsonify({"visit_id": visit_id, "created": created}), 201 if created else 200


@blueprint.get("/effect")
@access.allow("commander", "admin", scope=READ_SCOPE)
def effect():
    try:
        plan_ids = [int(p) for p in request.args.get("plans", "").split(",") if p.strip()]
        report = patrol_service.effect(app_context().uow(), plan_ids)
    except patrol_service.PatrolInputError as exc:
        return _refused(exc)
    except ValueError:
        return _error(400, "plans: expected plan ids separated by commas")
    return jsonify(report)


@blueprint.post("/plans/<int:plan_id>/issue")
@access.allow("commander", "admin")
def issue(plan_id: int):
    context = app_context()
    try:
        plan = patrol_service.issue_plan(context.uow(), plan_id, actor=access.current_user().username,
                                         at=context.clock().now())
    except patrol_service.PatrolInputError as exc:
        return _refused(exc)
    return jsonify({"plan_id": plan_id, "status": plan["status"], "issued_by": plan["issued_by"],
                    "issued_at": plan["issued_at"].isoformat()})
