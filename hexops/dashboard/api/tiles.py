"""Mapbox Vector Tiles of the shared collections, and a TileJSON per tile layer for clients to discover them.

- ``/tiles/<collection>/tilejson.json``: TileJSON 3.0.0 -- the tile URL
  template, ``bounds`` (the data's, CRS84 degrees), ``minzoom``/``maxzoom``,
  and ``vector_layers`` with the fields the reader receives. MapLibre GL
  takes it as a source ``url``; GDAL's MVT driver reads it as the tileset's
  metadata (``METADATA_FILE``).
- ``/tiles/<collection>/<z>/<x>/<y>.mvt``: web-mercator XYZ tiles (EPSG:3857,
  extent 4096) built by PostGIS (``ST_AsMVT``), one layer named after the
  collection, the feature id in the property ``id``. Each tile holds the
  newest feature of each hexagon or gauge within ``datetime`` (default: the
  ``HEXOPS_TILE_WINDOW_MINUTES``, 60, up to the collection's newest data).
  A tile outside the layer's zooms or bounds is a 404.

The same grants, k-suppression and camera rules as the OGC API apply, and
every tile a partner reads is audited.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, jsonify, request

from hexops.dashboard import access, busy
from hexops.dashboard.api._ogc_docs import property_schemas
from hexops.dashboard.api._ogc_params import ParameterError, check_known, parse_datetime
from hexops.dashboard.context import app_context
from hexops.errors import InputError
from hexops.geodata.sharing import ItemQuery
from hexops.services import sharing

blueprint = Blueprint("tiles", __name__)
MVT_TYPE = "application/vnd.mapbox-vector-tile"
_FIELD_TYPES = {"string": "String", "number": "Number", "integer": "Number", "boolean": "Boolean",
                "date-time": "String", "date": "String"}


def _refusal(exc: Exception, collection_id: str):
    if isinstance(exc, sharing.NotGranted):
        return jsonify({"code": "Forbidden", "description": f"no live grant for {collection_id}"}), 403
    if isinstance(exc, sharing.UnknownCollection):
        return jsonify({"code": "NotFound", "description": f"no collection {collection_id}"}), 404
    if isinstance(exc, sharing.OutsideData):
        return jsonify({"code": "NotFound", "description": str(exc)}), 404
    if isinstance(exc, sharing.TooSlow):
        return jsonify({"code": "ServiceUnavailable", "description": str(exc)}), 503
    return jsonify({"code": "InvalidParameterValue", "description": str(exc)}), 400


@blueprint.route("/tiles/<collection_id>/tilejson.json")
@access.allow(*sharing.READER_ROLES, scope="layers:read")
def tilejson(collection_id: str):
    ctx = app_context()
    user = access.current_user()
    try:
        check_known(request.args, frozenset(), request.path)
        collection = sharing.collection_for(ctx.uow(), user, collection_id)
        limits = sharing.tile_limits(ctx.uow(), collection, timeout_s=ctx.settings.shared_query_timeout_s,
                                     cache=ctx.cache, city=ctx.settings.city)
    except (InputError, sharing.NotGranted, sharing.UnknownCollection, sharing.TooSlow) as exc:
        return _refusal(exc, collection_id)
    fields = {"id": "String"}
    described = property_schemas(collection, sharing.reveals_cameras(user))
    fields.update({name: _FIELD_TYPES.get(schema.get("format", schema.get("type")), "String")
                   for name, schema in described.items()})
    west, south, east, north = limits.bounds
    centre_zoom = min(max(limits.min_zoom, 12), limits.max_zoom)
    host = request.host_url.rstrip("/")
    return jsonify({
        "tilejson": "3.0.0", "name": collection.title, "description": collection.description,
        "version": "1.0.0", "scheme": "xyz",
        "tiles": [f"{host}/tiles/{collection.id}/{{z}}/{{x}}/{{y}}.mvt"],
        "minzoom": limits.min_zoom, "maxzoom": limits.max_zoom,
        "bounds": [west, south, east, north], "center": [(west + east) / 2, (south + north) / 2, centre_zoom],
        "vector_layers": [{"id": collection.id, "description": collection.description,
                           "minzoom": limits.min_zoom, "maxzoom": limits.max_zoom, "fields": fields}],
    })


@blueprint.route("/tiles/<collection_id>/<int:z>/<int:x>/<int:y>.mvt")
@access.allow(*sharing.READER_ROLES, scope="layers:read")
def tile(collection_id: str, z: int, x: int, y: int):
    ctx = app_context()
    settings = ctx.settings
    try:
        check_known(request.args, frozenset({"datetime"}), request.path)
        if not 0 <= z <= 24 or not (0 <= x < 2**z and 0 <= y < 2**z):
            raise ParameterError(f"tile: {z}/{x}/{y} is not a tile of the web-mercator grid")
        start, end = parse_datetime(request.args.get("datetime"))
        window = timedelta(minutes=settings.tile_window_minutes)
        query = ItemQuery(start=start, end=end, k=settings.k_anonymity, timeout_s=settings.shared_query_timeout_s,
                          not_after=ctx.clock().now())
        with busy.shared_gate().enter(access.current_user().username):
            data = sharing.read_tile(ctx.uow(), access.current_user(), collection_id, z, x, y, query, window,
                                     cache=ctx.cache, city=settings.city)
    except busy.Busy as exc:
        return Response(str(exc), status=429, mimetype="text/plain", headers={"Retry-After": "1"})
    except (InputError, sharing.NotGranted, sharing.UnknownCollection, sharing.OutsideData, sharing.TooSlow) as exc:
        return _refusal(exc, collection_id)
    return Response(data, mimetype=MVT_TYPE, headers={"Cache-Control": "private, max-age=60"})
