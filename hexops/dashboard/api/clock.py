"""The product's clock (``GET /api/v1/clock``): what time it is for every page, job, export and API.

``{"now": ISO-8601 UTC, "now_ms": ..., "local": "Thu 01 Oct 2026 19:23:05", "time_zone": ...,
"label": "demo replay x10" | "live", "scenario": bool, "speed": ..., "stop_ms": ...}``.
The page header polls it to stay in step with a replay; API clients use it
to ask "as of now" the same way the pages do.  Any signed-in user, or any valid
token (the time is no secret; scripts need it as pages do).
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from hexops.dashboard import access
from hexops.dashboard.context import app_context
from hexops.identity import ROLES
from hexops.services.clock import describe

blueprint = Blueprint("clock", __name__, url_prefix="/api/v1")


@blueprint.get("/clock")
@access.allow(*ROLES, scope=access.ANY_SCOPE)
def clock():
    context = app_context()
    body = describe(context.clock(), context.city.tz) | {"time_zone": context.city.time_zone}
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response
