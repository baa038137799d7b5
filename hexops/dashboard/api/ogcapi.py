"""OGC API - Features under ``/ogcapi``, for partners' GIS (Part 1 core/GeoJSON/OpenAPI, Part 2 CRS, Part 3 filtering).

Landing page, ``/api`` (OpenAPI 3.0 with response schemas), ``/conformance``
(the classes in :data:`_ogc_docs.CONFORMANCE`), collections, a collection
(extents from its data, the CRSs it is served in), its ``queryables`` and
``schema``, items and single items. Items take ``bbox`` (4 or 6 numbers,
``bbox-crs``), ``datetime`` (instants, dates, open intervals), ``limit``
(capped at 1,000), ``crs``, ``filter`` (CQL2 text or JSON, ``filter-crs``),
property filters (``?state=flooded``), ``sortby`` and ``properties``; pages
follow ``next`` links (a keyset ``cursor``). Any other query parameter is a
400 naming it, and any other path under ``/ogcapi`` a JSON 404.

Authenticate with ``Authorization: Bearer <token>`` (scope ``layers:read``)
or a signed-in session. The collection list and every read obey the
caller's grants, and what a partner reads is audited (:mod:`services.sharing`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request

from hexops.dashboard import access, busy
from hexops.dashboard.api import _ogc_crs, _ogc_docs
from hexops.dashboard.api._ogc_filter import parse_filter, parse_properties, parse_sortby
from hexops.dashboard.api._ogc_openapi import RESOURCE_PARAMETERS, openapi_document
from hexops.dashboard.api._ogc_params import (ParameterError, check_known, encode_cursor, parse_bbox, parse_cursor,
                                              parse_datetime, parse_f, parse_int, parse_limit)
from hexops.dashboard.context import app_context
from hexops.errors import InputError, NotFoundError
from hexops.geodata.sharing import MAX_OFFSET, Collection, ItemQuery
from hexops.services import shared_metadata, sharing

blueprint = Blueprint("ogcapi", __name__, url_prefix="/ogcapi")
_READERS = sharing.READER_ROLES
#: What an API token needs to read shared layers (password sessions need no scope).
READ_SCOPE = "layers:read"
CONFORMANCE = _ogc_docs.CONFORMANCE
GEOJSON = "application/geo+json"


def _base() -> str:
    return request.host_url.rstrip("/") + "/ogcapi"


def _json(payload: dict, content_type: str = "application/json", status: int = 200) -> Response:
    response = jsonify(payload)
    response.status_code = status
    response.content_type = content_type
    return response


def _error(status: int, code: str, description: str) -> Response:
    return _json({"code": code, "description": description}, status=status)


def _guarded(read, resource: str = "metadata"):
    """Check the resource's parameters, run a read, and turn failures into OGC error documents."""
    try:
        if resource != "items":
            check_known(request.args, RESOURCE_PARAMETERS[resource], request.path)
        parse_f(request.args.get("f"))
        if resource not in ("items", "item"):
            return read()
        with busy.shared_gate().enter(access.current_user().username):
            return read()
    except busy.Busy as exc:
        response = _error(429, "TooManyRequests", str(exc))
        response.headers["Retry-After"] = "1"
        return response
    except sharing.NotGranted as exc:
        return _error(403, "Forbidden", f"collection {exc}: no live grant of its layer for your department")
    except sharing.UnknownCollection as exc:
        return _error(404, "NotFound", f"no collection {exc}")
    except NotFoundError as exc:
        return _error(404, "NotFound", str(exc))
    except InputError as exc:
        return _error(400, "InvalidParameterValue", str(exc))
    except sharing.TooSlow as exc:
        return _error(503, "ServiceUnavailable", str(exc))


def _reader():
    user = access.current_user()
    return user, sharing.reveals_cameras(user)


@blueprint.route("", strict_slashes=False)
@access.allow(*_READERS, scope=READ_SCOPE)
def landing():
    return _guarded(lambda: _json(_ogc_docs.landing(_base())))


@blueprint.route("/api")
@access.allow(*_READERS, scope=READ_SCOPE)
def api_definition():
    def read():
        user, reveal = _reader()
        visible = sharing.visible_collections(app_context().uow(), user)
        return _json(openapi_document(_base(), visible, reveal), _ogc_docs.OPENAPI_TYPE)

    return _guarded(read)


@blueprint.route("/conformance")
@access.allow(*_READERS, scope=READ_SCOPE)
def conformance():
    return _guarded(lambda: _json({"conformsTo": CONFORMANCE}))


def _collection_doc(collection: Collection) -> dict:
    ctx = app_context()
    found = shared_metadata.extent(ctx.uow(), collection, timeout_s=ctx.settings.shared_query_timeout_s,
                                   cache=ctx.cache)
    return _ogc_docs.collection_document(collection, found, _base(), request.host_url.rstrip("/"),
                                         ctx.settings.city, _reader()[1])


@blueprint.route("/collections")
@access.allow(*_READERS, scope=READ_SCOPE)
def collections():
    def read():
        visible = sharing.visible_collections(app_context().uow(), access.current_user())
        return _json({"collections": [_collection_doc(c) for c in visible],
                      "links": [_ogc_docs.link(f"{_base()}/collections", "self", "application/json")]})

    return _guarded(read)


def _granted(collection_id: str) -> Collection:
    return sharing.collection_for(app_context().uow(), access.current_user(), collection_id)


@blueprint.route("/collections/<collection_id>")
@access.allow(*_READERS, scope=READ_SCOPE)
def collection(collection_id: str):
    return _guarded(lambda: _json(_collection_doc(_granted(collection_id))))


@blueprint.route("/collections/<collection_id>/queryables")
@access.allow(*_READERS, scope=READ_SCOPE)
def queryables(collection_id: str):
    return _guarded(lambda: _json(_ogc_docs.queryables_document(_granted(collection_id), _base(), _reader()[1]),
                                  _ogc_docs.SCHEMA_TYPE), "schema")


@blueprint.route("/collections/<collection_id>/schema")
@access.allow(*_READERS, scope=READ_SCOPE)
def schema(collection_id: str):
    return _guarded(lambda: _json(_ogc_docs.feature_schema(_granted(collection_id), _base(), _reader()[1]),
                                  _ogc_docs.SCHEMA_TYPE), "schema")


def _query(collection: Collection) -> tuple[ItemQuery, sharing.Selection, tuple[str, ...] | None]:
    """An items request's parameters, checked against the collection and what the reader may see."""
    settings = app_context().settings
    city = settings.city
    offered = shared_metadata.queryables(collection, _reader()[1])
    equals_names = [n for n in request.args if n in offered and n not in RESOURCE_PARAMETERS["items"]]
    check_known(request.args, RESOURCE_PARAMETERS["items"] | set(equals_names), request.path)
    out_crs = _ogc_crs.parse_crs(request.args.get("crs"), "crs", city)
    bbox_crs = _ogc_crs.parse_crs(request.args.get("bbox-crs"), "bbox-crs", city)
    filter_crs = _ogc_crs.parse_crs(request.args.get("filter-crs"), "filter-crs", city)
    if "bbox-crs" in request.args and "bbox" not in request.args:
        raise ParameterError("bbox-crs: given without a bbox")
    start, end = parse_datetime(request.args.get("datetime"))
    raw_offset = request.args.get("offset")
    try:
        offset = parse_int(raw_offset, "offset", 0, 0, MAX_OFFSET)
    except ParameterError:
        if raw_offset and raw_offset.strip().isdigit():
            raise ParameterError(f"offset: at most {MAX_OFFSET}; follow the next link (its cursor) to page "
                                 "further") from None
        raise
    resolution = (parse_int(request.args.get("resolution"), "resolution", 9, 8, 10)
                  if request.args.get("resolution") else None)
    if resolution is not None and resolution not in collection.resolutions:
        published = ", ".join(map(str, collection.resolutions)) or "none (not a hexagon layer)"
        raise ParameterError(f"resolution: collection {collection.id} is published at H3 resolution {published}")
    query = ItemQuery(
        bbox=parse_bbox(request.args.get("bbox"), bbox_crs.geographic, bbox_crs.swap_axes, bbox_crs.bounds),
        bbox_srid=bbox_crs.srid, start=start, end=end, limit=parse_limit(request.args.get("limit")),
        offset=offset, after=parse_cursor(request.args.get("cursor")), resolution=resolution,
        k=settings.k_anonymity, timeout_s=settings.shared_query_timeout_s,
        crs_srid=out_crs.srid, swap_axes=out_crs.swap_axes, not_after=app_context().clock().now())
    if query.after is not None and query.offset:
        raise ParameterError("offset: not with cursor (the cursor already says where the page starts)")
    selection = sharing.Selection(
        filter=parse_filter(request.args.get("filter"), request.args.get("filter-lang")),
        filter_srid=filter_crs.srid, filter_swap=filter_crs.swap_axes, filter_bounds=filter_crs.bounds,
        equals=tuple((n, request.args[n]) for n in equals_names), sortby=parse_sortby(request.args.get("sortby")))
    return query, selection, parse_properties(request.args.get("properties"), offered)


def _page_link(rel: str, limit: int, **position: object) -> dict:
    args = {k: v for k, v in request.args.items() if k not in ("offset", "limit", "cursor")}
    args.update(limit=limit, **{k: v for k, v in position.items() if v})
    return {"href": f"{request.base_url}?{urlencode(args)}", "rel": rel, "type": GEOJSON}


def _with_crs(response: Response, crs: _ogc_crs.ServedCrs) -> Response:
    response.headers["Content-Crs"] = f"<{crs.uri}>"
    return response


@blueprint.route("/collections/<collection_id>/items")
@access.allow(*_READERS, scope=READ_SCOPE)
def items(collection_id: str):
    def read():
        ctx = app_context()
        query, selection, keep = _query(_granted(collection_id))
        _, features, next_after, matched = sharing.read_items(
            ctx.uow(), access.current_user(), collection_id, query, selection, cache=ctx.cache)
        if keep is not None:
            for feature in features:
                feature["properties"] = {k: v for k, v in feature["properties"].items() if k in keep}
        links = [_page_link("self", query.limit, offset=query.offset, cursor=request.args.get("cursor"))]
        if next_after is not None:
            # Keyset paging: the next page starts after this page's last feature, at any depth for the same cost.
            links.append(_page_link("next", query.limit, cursor=encode_cursor(next_after)))
        if query.offset > 0:
            links.append(_page_link("prev", query.limit, offset=max(0, query.offset - query.limit)))
        links.append(_ogc_docs.link(f"{_base()}/collections/{collection_id}", "collection", "application/json"))
        body = {"type": "FeatureCollection", "features": features, "numberReturned": len(features),
                "timeStamp": ctx.clock().now().isoformat(timespec="seconds"), "links": links}
        if matched is not None:
            body["numberMatched"] = matched
        out_crs = _ogc_crs.parse_crs(request.args.get("crs"), "crs", ctx.settings.city)
        return _with_crs(_json(body, GEOJSON), out_crs)

    return _guarded(read, "items")


@blueprint.route("/collections/<collection_id>/items/<path:feature_id>")
@access.allow(*_READERS, scope=READ_SCOPE)
def item(collection_id: str, feature_id: str):
    def read():
        settings = app_context().settings
        out_crs = _ogc_crs.parse_crs(request.args.get("crs"), "crs", settings.city)
        query = ItemQuery(k=settings.k_anonymity, timeout_s=settings.shared_query_timeout_s,
                          crs_srid=out_crs.srid, swap_axes=out_crs.swap_axes)
        if "\x00" in feature_id:
            return _error(404, "NotFound", f"collection {collection_id}: no such feature")
        _, feature = sharing.read_item(app_context().uow(), access.current_user(), collection_id, feature_id, query)
        if feature is None:
            return _error(404, "NotFound", f"collection {collection_id}: no feature {feature_id}")
        feature["links"] = [{"href": request.base_url, "rel": "self", "type": GEOJSON},
                            {"href": f"{_base()}/collections/{collection_id}", "rel": "collection",
                             "type": "application/json"}]
        return _with_crs(_json(feature, GEOJSON), out_crs)

    return _guarded(read, "item")


@blueprint.route("/<path:unknown>")
@access.allow(*_READERS, scope=READ_SCOPE)
def not_found(unknown: str):
    """Any other path under /ogcapi: a JSON 404 (not the dashboard's page router)."""
    return _error(404, "NotFound", f"/ogcapi/{unknown}: no such resource; start at /ogcapi")

