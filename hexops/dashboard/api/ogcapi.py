"""OGC API - Features (Part 1: Core, GeoJSON) under ``/ogcapi``, for partners' GIS.

Landing page, conformance, collections, one collection, items (``bbox``,
``datetime``, ``limit``/``offset`` with next/prev links, ``resolution`` for
hexagon layers) and single items.  Authenticate with
``Authorization: Bearer <token>`` with the ``layers:read`` scope (or a
signed-in browser session).  The
collection list and every read obey the caller's grants
(:mod:`services.sharing`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request

from hexops.dashboard import access
from hexops.dashboard.api._ogc_params import (DEFAULT_LIMIT, MAX_LIMIT, ParameterError, parse_bbox, parse_datetime,
                                       parse_int)
from hexops.dashboard.context import app_context
from hexops.geodata.sharing import Collection, ItemQuery
from hexops.services import sharing

blueprint = Blueprint("ogcapi", __name__, url_prefix="/ogcapi")
_READERS = sharing.READER_ROLES
#: What an API token needs to read shared layers (password sessions need no scope).
READ_SCOPE = "layers:read"

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
HK_BBOX = [113.81, 22.13, 114.45, 22.57]
OPENAPI_TYPE = "application/vnd.oai.openapi+json;version=3.0"


def _base() -> str:
    return request.host_url.rstrip("/") + "/ogcapi"


def _json(payload: dict, content_type: str = "application/json", status: int = 200) -> Response:
    response = jsonify(payload)
    response.status_code = status
    response.content_type = content_type
    return response


def _error(status: int, code: str, description: str) -> Response:
    return _json({"code": code, "description": description}, status=status)


def _collection_doc(collection: Collection) -> dict:
    href = f"{_base()}/collections/{collection.id}"
    doc = {
        "id": collection.id, "title": collection.title, "description": collection.description,
        "itemType": "feature", "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "extent": {"spatial": {"bbox": [HK_BBOX], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
        "links": [
            {"href": href, "rel": "self", "type": "application/json", "title": collection.title},
            {"href": f"{href}/items", "rel": "items", "type": "application/geo+json", "title": "Features"},
            {"href": request.host_url.rstrip("/") + f"/tiles/{collection.id}/{{z}}/{{x}}/{{y}}.mvt",
             "rel": "item", "type": "application/vnd.mapbox-vector-tile", "title": "Vector tiles (XYZ)"},
        ],
        "hexops:layer": collection.layer,
        "hexops:suppressed_fields": list(collection.suppressed_fields),
    }
    if collection.resolutions:
        doc["hexops:h3_resolutions"] = list(collection.resolutions)
    return doc


def _query() -> ItemQuery:
    start, end = parse_datetime(request.args.get("datetime"))
    return ItemQuery(
        bbox=parse_bbox(request.args.get("bbox")), start=start, end=end,
        limit=parse_int(request.args.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=parse_int(request.args.get("offset"), "offset", 0, 0, 10_000_000),
        resolution=parse_int(request.args.get("resolution"), "resolution", 9, 8, 10)
        if request.args.get("resolution") else None,
        k=app_context().settings.k_anonymity,
    )


def _guarded(read):
    """Run a read, turning parameter, grant and lookup failures into OGC error documents."""
    try:
        return read()
    except ParameterError as exc:
        return _error(400, "InvalidParameterValue", str(exc))
    except sharing.NotGranted as exc:
        return _error(403, "Forbidden", f"collection {exc}: no live grant of its layer for your department")
    except sharing.UnknownCollection as exc:
        return _error(404, "NotFound", f"no collection {exc}")


@blueprint.route("", strict_slashes=False)
@access.allow(*_READERS, scope=READ_SCOPE)
def landing():
    base = _base()
    return _json({
        "title": "hexops shared layers",
        "description": "Aggregated camera-derived layers (H3 hexagons) shared with partner departments.",
        "links": [
            {"href": base, "rel": "self", "type": "application/json", "title": "This document"},
            {"href": f"{base}/api", "rel": "service-desc", "type": OPENAPI_TYPE, "title": "API definition"},
            {"href": f"{base}/conformance", "rel": "conformance", "type": "application/json",
             "title": "Conformance"},
            {"href": f"{base}/collections", "rel": "data", "type": "application/json", "title": "Collections"},
        ],
    })


def _parameter(name: str, schema: dict, description: str, where: str = "query") -> dict:
    return {"name": name, "in": where, "required": where == "path", "schema": schema, "description": description}


def openapi_document(base: str) -> dict:
    """A minimal OpenAPI 3.0 description of these endpoints (the landing page's service-desc)."""
    collection_id = _parameter("collectionId", {"type": "string"}, "Collection id", "path")
    feature = {"200": {"description": "GeoJSON", "content": {"application/geo+json": {}}}}
    document = {"200": {"description": "JSON", "content": {"application/json": {}}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "hexops shared layers", "version": "1.0"},
        "servers": [{"url": base}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": {
            "/": {"get": {"summary": "Landing page", "responses": document}},
            "/conformance": {"get": {"summary": "Conformance classes", "responses": document}},
            "/collections": {"get": {"summary": "Collections you are granted", "responses": document}},
            "/collections/{collectionId}": {"get": {"parameters": [collection_id], "responses": document}},
            "/collections/{collectionId}/items": {"get": {"parameters": [
                collection_id,
                _parameter("bbox", {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
                           "minlon,minlat,maxlon,maxlat (CRS84)"),
                _parameter("datetime", {"type": "string"}, "RFC 3339 instant or interval (.. open)"),
                _parameter("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                     "default": DEFAULT_LIMIT}, "Page size"),
                _parameter("offset", {"type": "integer", "minimum": 0, "default": 0}, "Page start"),
                _parameter("resolution", {"type": "integer", "enum": [8, 9, 10]}, "H3 resolution (hexagons)"),
            ], "responses": feature}},
            "/collections/{collectionId}/items/{featureId}": {"get": {"parameters": [
                collection_id, _parameter("featureId", {"type": "string"}, "Feature id", "path")],
                "responses": feature}},
        },
    }


@blueprint.route("/api")
@access.allow(*_READERS, scope=READ_SCOPE)
def api_definition():
    return _json(openapi_document(_base()), OPENAPI_TYPE)


@blueprint.route("/conformance")
@access.allow(*_READERS, scope=READ_SCOPE)
def conformance():
    return _json({"conformsTo": CONFORMANCE})


@blueprint.route("/collections")
@access.allow(*_READERS, scope=READ_SCOPE)
def collections():
    user = access.current_user()
    with app_context().db.connection() as conn:
        visible = sharing.visible_collections(conn, user)
    return _json({
        "collections": [_collection_doc(c) for c in visible],
        "links": [{"href": f"{_base()}/collections", "rel": "self", "type": "application/json"}],
    })


@blueprint.route("/collections/<collection_id>")
@access.allow(*_READERS, scope=READ_SCOPE)
def collection(collection_id: str):
    def read():
        with app_context().db.connection() as conn:
            found = sharing.collection_for(conn, access.current_user(), collection_id)
        return _json(_collection_doc(found))

    return _guarded(read)


def _page_link(rel: str, offset: int, limit: int) -> dict:
    args = {k: v for k, v in request.args.items() if k not in ("offset", "limit")}
    args.update(offset=offset, limit=limit)
    return {"href": f"{request.base_url}?{urlencode(args)}", "rel": rel, "type": "application/geo+json"}


@blueprint.route("/collections/<collection_id>/items")
@access.allow(*_READERS, scope=READ_SCOPE)
def items(collection_id: str):
    def read():
        query = _query()
        with app_context().db.connection() as conn:
            _, features, matched = sharing.read_items(conn, access.current_user(), collection_id, query)
        links = [_page_link("self", query.offset, query.limit)]
        if matched is not None and query.offset + len(features) < matched:
            links.append(_page_link("next", query.offset + query.limit, query.limit))
        if query.offset > 0:
            links.append(_page_link("prev", max(0, query.offset - query.limit), query.limit))
        body = {"type": "FeatureCollection", "features": features, "numberReturned": len(features),
                "timeStamp": datetime.now(timezone.utc).isoformat(timespec="seconds"), "links": links}
        if matched is not None:
            body["numberMatched"] = matched
        return _json(body, "application/geo+json")

    return _guarded(read)


@blueprint.route("/collections/<collection_id>/items/<path:feature_id>")
@access.allow(*_READERS, scope=READ_SCOPE)
def item(collection_id: str, feature_id: str):
    def read():
        query = _query()
        with app_context().db.connection() as conn:
            _, feature = sharing.read_item(conn, access.current_user(), collection_id, feature_id, query)
        if feature is None:
            return _error(404, "NotFound", f"collection {collection_id}: no feature {feature_id}")
        feature["links"] = [{"href": request.base_url, "rel": "self", "type": "application/geo+json"},
                            {"href": f"{_base()}/collections/{collection_id}", "rel": "collection",
                             "type": "application/json"}]
        return _json(feature, "application/geo+json")

    return _guarded(read)
