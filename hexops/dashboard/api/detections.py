"""``POST /api/v1/detections``: a gateway's batch of detection events, answered per event.

Thin: it checks the envelope's size and length, hands the events to
:func:`ingest.core.ingest_events` and words the report.  A device token
belongs to a department and may only report that department's cameras.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from hexops.dashboard import access
from hexops.dashboard.context import app_context

blueprint = Blueprint("detections_api", __name__, url_prefix="/api/v1")

def _read_body(limit: int) -> bytes | None:
    """The request body, or None when it is longer than ``limit`` bytes."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = request.stream.read(limit + 1)
    return None if len(body) > limit else body


@blueprint.post("/detections")
@access.allow("device", "admin", scope="detections:write")
def post_detections():
    """Ingest one batch (schema ``hexops.detections/1``).

    Answers 200 with one result per event (``accepted``, ``duplicate`` or
    ``rejected`` with a reason naming the field), 400 for an unusable batch
    or too many events, 413 for a body over the size limit.
    """
    from hexops.ingest.core import ingest_events
    from hexops.ingest.errors import BatchError
    from hexops.ingest.schema import parse_batch

    max_body = app_context().settings.ingest_max_body_bytes
    body = _read_body(max_body)
    if body is None:
        return jsonify({"error": f"body: larger than {max_body} bytes; split the batch"}), 413
    try:
        envelope, frame = parse_batch(body)
    except BatchError as exc:
        return jsonify({"error": str(exc), "field": exc.field}), 400
    max_events = app_context().settings.ingest_max_events
    if len(frame) > max_events:
        return jsonify({"error": f"events: {len(frame)} events, at most {max_events} per batch",
                        "field": "events"}), 400
    user = access.current_user()
    owner = user.department if user.role == "device" else None
    with app_context().db.connection() as conn:
        report = ingest_events(conn, frame, source=f"http:{user.username}", owner=owner)
    ids = frame["event_id"].tolist() if "event_id" in frame.columns else [None] * len(frame)
    results = []
    for pos, (event_id, status) in enumerate(zip(ids, report.outcomes.tolist())):
        item = {"event_id": event_id if isinstance(event_id, str) else None, "status": status}
        if status == "rejected":
            item["reason"] = report.reasons[pos]
        results.append(item)
    return jsonify({
        "schema": envelope.get("schema"),
        "gateway_id": envelope.get("gateway_id"),
        "accepted": report.accepted,
        "duplicates": report.duplicates,
        "rejected": report.rejected,
        "results": results,
    })
