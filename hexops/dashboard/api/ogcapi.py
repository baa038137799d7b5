"""OGC API - Features (Part 1: Core, GeoJSON) under ``/ogcapi``, for partners' GIS.

Landing page, conformance, collections, one collection, items (``bbox``,
``datetime``, ``limit``, a ``next`` link carrying a keyset ``cursor``, an
``offset`` of at most 10,000 with a ``prev`` link, ``resolution`` among the
collection's) and single items.  Authenticate with
``Authorization: Bearer <token>`` with the ``layers:read`` scope (or a
signed-in browser session).  The
collection list and every read obey the caller's grants
(:mod:`services.sharing`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request

from hexops.dashboard import access
from hexops.dashboard.api._ogc_params import (DEFAULT_LIMIT, MAX_LIMIT, ParameterError, encode_cursor, parse_bbox,
                                              parse_cursor, parse_datetime, parse_int)
from hexops.dashboard.context import app_context
from hexops.geodata.sharing import MAX_OFFSET, Collection, ItemQuery, registry
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


def _query(collection_id: str) -> ItemQuery:
    settings = app_context().settings
    start, end = parse_datetime(request.args.get("datetime"))
    raw_offset = request.args.get("offset")
    try:
        offset = parse_int(raw_offset, "offset", 0, 0, MAX_OFFSET)
    except ParameterError:
        if raw_offset and raw_offset.strip().isdigit():
            raise ParameterError(f"offset: at most {MAX_OFFSET}; follow the next link (its cursor) to page "
                                 "further") from None
        raise
    after = parse_cursor(request.args.get("cursor"))
    query = ItemQuery(
        bbox=parse_bbox(request.args.get("bbox")), start=start, end=end,
        limit=parse_int(request.args.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=offset, after=after,
        resolution=parse_int(request.args.get("resolution"), "resolution", 9, 8, 10)
        if request.args.get("resolution") else None,
        k=settings.k_anonymity, timeout_s=settings.shared_query_timeout_s,
    )
    if query.after is not None and query.offset:
        raise ParameterError("offset: not with cursor (the cursor already says where the page starts)")
    collection = registry().get(collection_id)
    if collection is not None and query.resolution is not None and query.resolution not in collection.resolutions:
        offered = ", ".join(map(str, collection.resolutions)) or "none (not a hexagon layer)"
        raise ParameterError(f"resolution: collection {collection_id} is published at H3 resolution {offered}")
    return query


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
    except sharing.TooSlow as exc:
        return _error(503, "ServiceUnavailable", str(exc))


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
                _parameter("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
                           "Page start (deeper pages: follow the next link)"),
                _parameter("cursor", {"type": "string"}, "Where the page starts (from a next link)"),
                _parameter("resolution", {"type": "integer", "enum": [8, 9, 10]},
                           "H3 resolution (hexagons; each collection lists the ones it offers)"),
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
    visible = sharing.visible_collections(app_context().uow(), access.current_user())
    return _json({
        "collections": [_collection_doc(c) for c in visible],
        "links": [{"href": f"{_base()}/collections", "rel": "self", "type": "application/json"}],
    })


@blueprint.route("/collections/<collection_id>")
@access.allow(*_READERS, scope=READ_SCOPE)
def collection(collection_id: str):
    def read():
        found = sharing.collection_for(app_context().uow(), access.current_user(), collection_id)
        return _json(_collection_doc(found))

    return _guarded(read)


def _page_link(rel: str, limit: int, **position: object) -> dict:
    args = {k: v for k, v in request.args.items() if k not in ("offset", "limit", "cursor")}
    args.update(limit=limit, **{k: v for k, v in position.items() if v})
    return {"href": f"{request.base_url}?{urlencode(args)}", "rel": rel, "type": "application/geo+json"}


@blueprint.route("/collections/<collection_id>/items")
@access.allow(*_READERS, scope=READ_SCOPE)
def items(collection_id: str):
    def read():
        query = _query(collection_id)
        _, features, next_after = sharing.read_items(app_context().uow(), access.current_user(), collection_id,
                                                     query)
        links = [_page_link("self", query.limit, offset=query.offset, cursor=request.args.get("cursor"))]
        if next_after is not None:
            # Keyset paging: the next page starts after this page's last feature, at any depth for the same cost.
            links.append(_page_link("next", query.limit, cursor=encode_cursor(next_after)))
        if query.offset > 0:
            links.append(_page_link("prev", query.limit, offset=max(0, query.offset - query.limit)))
        # No numberMatched: counting every match is the cost paging must not have.
        body = {"type": "FeatureCollection", "features": features, "numberReturned": len(features),
                "timeStamp": app_context().clock().now().isoformat(timespec="seconds"), "links": links}
        return _json(body, "application/geo+json")

    return _guarded(read)


@blueprint.route("/collections/<collection_id>/items/<path:feature_id>")
@access.allow(*_READERS, scope=READ_SCOPE)
def item(collection_id: str, feature_id: str):
    def read():
        query = _query(collection_id)
        _, feature = sharing.read_item(app_context().uow(), access.current_user(), collection_id, feature_id, query)
        if feature is None:
            return _error(404, "NotFound", f"collection {collection_id}: no feature {feature_id}")
        feature["links"] = [{"href": request.base_url, "rel": "self", "type": "application/geo+json"},
                            {"href": f"{_base()}/collections/{collection_id}", "rel": "collection",
                             "type": "application/json"}]
        return _json(feature, "application/geo+json")

    return _guarded(read)
