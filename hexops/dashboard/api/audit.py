"""``GET /api/v1/audit.csv`` (admins): the audit log as CSV, filtered like the admin page."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, jsonify, request, stream_with_context

from hexops.dashboard import access
from hexops.dashboard.context import app_context
from hexops.services.audit_export import csv_lines

blueprint = Blueprint("audit_export", __name__)


def _when(name: str) -> datetime | None:
    value = request.args.get(name)
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{name}: {value!r} needs a UTC offset")
    return parsed


@blueprint.route("/api/v1/audit.csv")
@access.allow("admin", scope="audit:read")
def export_csv():
    try:
        since, until = _when("since"), _when("until")
    except ValueError as exc:
        return jsonify({"error": str(exc)}), 400
    user = access.current_user()
    ctx = app_context()
    filters = {"actor": request.args.get("actor") or None, "action_prefix": request.args.get("action") or None,
               "since": since, "until": until}

    def generate():
        yield from csv_lines(ctx.uow(), exported_by=user.username, **filters)

    return Response(stream_with_context(generate()), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=hexops-audit.csv"})
