"""Rainfall readings API (``/api/v1/rainfall``).

- ``POST /api/v1/rainfall``: ``{"readings": [{"station_id", "observed_at", "mm_per_h",
  "district_code" | "lon", "lat"}, ...]}`` (mm/h; times ISO-8601 with offset;
  EPSG:4326).  Admins, and devices whose token has the ``rainfall:write``
  scope.  All readings are stored or none: a bad one gets 400 naming
  ``readings[i]`` and the field.
- ``GET /api/v1/rainfall?start=...&end=...``: readings in a window (default:
  the hour up to the latest reading, never past the product clock's now), with
  the HKO rainstorm level of each.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, jsonify, request

from hexops.analytics.flood import rainstorm_level
from hexops.dashboard import access
from hexops.dashboard.context import app_context
from hexops.errors import InputError
from hexops.geodata.errors import LoadError
from hexops.ingest.reference_files import validate_rainfall
from hexops.services import sharing
from hexops.services.flood import store_rainfall
from hexops.times import parse_instant

blueprint = Blueprint("rainfall", __name__, url_prefix="/api/v1/rainfall")

WRITE_SCOPE = "rainfall:write"
MAX_READINGS = 10_000


def _error(status: int, message: str, problems: list[str] | None = None):
    body = {"error": message}
    if problems:
        body["problems"] = problems
    response = jsonify(body)
    response.status_code = status
    return response


@blueprint.post("")
@access.allow("admin", "device", scope=WRITE_SCOPE)
def post_readings():
    # access.allow has checked the scope of a token (devices only ever hold tokens).
    body = request.get_json(silent=True)
    readings = body.get("readings") if isinstance(body, dict) else None
    if not isinstance(readings, list) or not all(isinstance(r, dict) for r in readings):
        return _error(400, 'expected {"readings": [ {...}, ... ]}')
    if len(readings) > MAX_READINGS:
        return _error(400, f"at most {MAX_READINGS} readings per request")
    label = lambda i: f"readings[{i}]"  # noqa: E731
    try:
        frame = validate_rainfall(readings, "request body", label)
        stored = store_rainfall(app_context().uow(), frame, "request body", label)
    except LoadError as exc:
        return _error(400, "nothing stored", exc.problems)
    return jsonify({"stored": stored}), 201


@blueprint.get("")
@access.allow("partner", "commander", "admin", layer="rainfall", scope="layers:read")
def get_readings():
    try:
        end = parse_instant(request.args.get("end"), "end")
        start = parse_instant(request.args.get("start"), "start")
    except InputError as exc:
        return _error(400, str(exc))
    # A partner's read is audited (partner.read, api/rainfall) before the readings leave.
    # By default, never past the product clock's now: a replay loads readings up front.
    start, end, frame = sharing.read_rainfall(app_context().uow(), access.current_user(), start, end,
                                              timedelta(hours=1), not_after=app_context().clock().now())
    if end is None:
        return jsonify({"readings": []})
    levels = rainstorm_level(frame["mm_per_h"].to_numpy(float)) if len(frame) else []
    return jsonify({
        "start": start.isoformat(), "end": end.isoformat(), "units": "mm/h",
        "readings": [
            {"station_id": s, "observed_at": t.isoformat() if isinstance(t, datetime) else str(t),
             "mm_per_h": float(m), "district_code": d, "rainstorm": lvl}
            for s, t, m, d, lvl in zip(frame["station_id"], frame["observed_at"], frame["mm_per_h"],
                                       frame["district_code"], levels)
        ],
    })
