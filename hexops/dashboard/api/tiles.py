"""Mapbox Vector Tiles of the shared collections: ``/tiles/<collection>/<z>/<x>/<y>.mvt``.

Web-mercator XYZ tiles (EPSG:3857, extent 4096) built by PostGIS
(``ST_AsMVT``); hexagon layers use the H3 resolution that suits the zoom.
Each tile holds the newest feature of each hexagon or gauge within
``datetime`` (default: the ``HEXOPS_TILE_WINDOW_MINUTES``, 60, up to the
collection's newest data).  The
same grants, k-suppression and camera rules as the OGC API apply, and every
tile a partner reads is audited.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, jsonify, request

from hexops.dashboard import access
from hexops.dashboard.api._ogc_params import ParameterError, parse_datetime
from hexops.dashboard.context import app_context
from hexops.geodata.sharing import ItemQuery
from hexops.services import sharing

blueprint = Blueprint("tiles", __name__)
MVT_TYPE = "application/vnd.mapbox-vector-tile"


@blueprint.route("/tiles/<collection_id>/<int:z>/<int:x>/<int:y>.mvt")
@access.allow(*sharing.READER_ROLES, scope="layers:read")
def tile(collection_id: str, z: int, x: int, y: int):
    settings = app_context().settings
    try:
        if not 0 <= z <= 24 or not (0 <= x < 2**z and 0 <= y < 2**z):
            raise ParameterError(f"tile: {z}/{x}/{y} is not a tile of the web-mercator grid")
        start, end = parse_datetime(request.args.get("datetime"))
        window = timedelta(minutes=settings.tile_window_minutes)
        query = ItemQuery(start=start, end=end, k=settings.k_anonymity, timeout_s=settings.shared_query_timeout_s)
        data = sharing.read_tile(app_context().uow(), access.current_user(), collection_id, z, x, y, query, window)
    except ParameterError as exc:
        return jsonify({"code": "InvalidParameterValue", "description": str(exc)}), 400
    except sharing.NotGranted:
        return jsonify({"code": "Forbidden", "description": f"no live grant for {collection_id}"}), 403
    except sharing.UnknownCollection:
        return jsonify({"code": "NotFound", "description": f"no collection {collection_id}"}), 404
    except sharing.TooSlow as exc:
        return jsonify({"code": "ServiceUnavailable", "description": str(exc)}), 503
    return Response(data, mimetype=MVT_TYPE, headers={"Cache-Control": "private, max-age=60"})
