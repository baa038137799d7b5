"""Geometry and values for the hex map (``/api/v1/hexmap/...``).

- ``GET /api/v1/hexmap/cells/<res>``: every land hex of H3 resolution
  ``res`` (8, 9, 10) as ``hexops.hexgeom/1`` (see :mod:`services.heatmap`).
  Served with an ETag (the cell-set version); with ``?v=<version>`` the
  response is ``immutable`` so the browser never asks again.
- ``GET /api/v1/hexmap/districts``: district outlines (``hexops.outlines/1``).
- ``GET /api/v1/hexmap/cameras``: camera positions (``hexops.cameras/1``).
- ``GET /api/v1/hexmap/land``: the basemap's land polygons (``hexops.land/1``).
- ``GET /api/v1/hexmap/places``: the gazetteer's names for map labels (``hexops.places/1``).
- ``GET /api/v1/hexmap/values?metric=people&res=9&start=...&end=...``:
  ``hexops.hexvalues/1`` for scripts; pages push values through Dash.

Payloads are encoded once per version (JSON and gzip, kept in the
application's read cache) and sent compressed when the client accepts it.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import datetime

import orjson
from flask import Blueprint, Response, jsonify, request

from hexops.dashboard import access
from hexops.dashboard.context import app_context
from hexops.geodata.heatmap import HeatmapQueryError
from hexops.services import gazetteer, heatmap

blueprint = Blueprint("hexmap", __name__, url_prefix="/api/v1/hexmap")

_MAP_ROLES = ("commander", "event_manager", "partner", "admin")
#: What an API token needs for the map's geometry and values (pages use a session).
MAP_SCOPE = "map:read"


@dataclass(frozen=True)
class _Encoded:
    """A document as served: raw and gzip bytes, and its version (the ETag)."""

    version: str
    raw: bytes
    gzipped: bytes


def _encoded(name: str, document: dict) -> _Encoded:
    """``document`` as JSON and gzip bytes, encoded once per version."""
    version = str(document["version"])

    def build() -> _Encoded:
        raw = orjson.dumps(document)
        return _Encoded(version, raw, gzip.compress(raw, compresslevel=6))
    return app_context().cache.document(("encoded", name, version), build)


def _serve(payload: _Encoded, immutable: bool) -> Response:
    etag = f'"{payload.version}"'
    cache = "private, max-age=31536000, immutable" if immutable else "private, no-cache"
    if etag in request.headers.get("If-None-Match", ""):
        response = Response(status=304)
    elif "gzip" in request.accept_encodings:
        response = Response(payload.gzipped, mimetype="application/json")
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(payload.raw, mimetype="application/json")
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = cache
    response.headers["Vary"] = "Accept-Encoding"
    return response


def _bad_request(message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = 400
    return response


@blueprint.get("/cells/<int:resolution>")
@access.allow(*_MAP_ROLES, scope=MAP_SCOPE)
def cells(resolution: int) -> Response:
    ctx = app_context()
    try:
        payload = _encoded(f"cells-{resolution}", heatmap.geometry_document(ctx.read_uow(), resolution, ctx.cache))
    except HeatmapQueryError as exc:
        return _bad_request(str(exc))
    return _serve(payload, immutable=request.args.get("v") == payload.version)


@blueprint.get("/districts")
@access.allow(*_MAP_ROLES, scope=MAP_SCOPE)
def districts() -> Response:
    ctx = app_context()
    return _serve(_encoded("outlines", heatmap.outlines_document(ctx.read_uow(), ctx.cache)), immutable=False)


@blueprint.get("/land")
@access.allow(*_MAP_ROLES, scope=MAP_SCOPE)
def land() -> Response:
    ctx = app_context()
    return _serve(_encoded("land", gazetteer.land_document(ctx.uow(), ctx.cache)), immutable=False)


@blueprint.get("/places")
@access.allow(*_MAP_ROLES, scope=MAP_SCOPE)
def places() -> Response:
    ctx = app_context()
    return _serve(_encoded("places", gazetteer.places_document(ctx.uow(), ctx.cache)), immutable=False)


@blueprint.get("/cameras")
@access.allow(*_MAP_ROLES, layer="camera_positions", scope=MAP_SCOPE)
def cameras() -> Response:
    ctx = app_context()
    return _serve(_encoded("cameras", heatmap.cameras_document(ctx.read_uow(), ctx.cache)), immutable=False)


def _parse_time(name: str) -> datetime:
    text = request.args.get(name, "")
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise HeatmapQueryError(f"{name}: expected an ISO-8601 time with offset, got {text!r}") from exc
    if value.tzinfo is None:
        raise HeatmapQueryError(f"{name}: expected an ISO-8601 time with offset, got {text!r}")
    return value


@blueprint.get("/values")
@access.allow("commander", "event_manager", "admin", scope=MAP_SCOPE)
def values() -> Response:
    try:
        text = request.args.get("res", "9")
        if not text.isdigit():
            raise HeatmapQueryError(f"res: expected 8, 9 or 10, got {text!r}")
        resolution = int(text)
        metric = request.args.get("metric", "people")
        start, end = _parse_time("start"), _parse_time("end")
        ctx = app_context()
        document = heatmap.metric_values(ctx.read_uow(), metric, resolution, start, end, ctx.cache)
    except ValueError as exc:
        return _bad_request(str(exc))
    return jsonify(document)
