"""The OpenAPI 3.0 definition of ``/ogcapi`` (the landing page's ``service-desc``), with response schemas.

Besides the generic paths, each collection the reader may see has its own
items path listing its queryables as Part 1 property filters
(``?state=flooded``): that is how GDAL's OAPIF driver learns which
attribute filters it may send to the server.

``RESOURCE_PARAMETERS`` is the single list of query parameters each resource
accepts; the routes refuse any other with a 400 naming it
(:func:`_ogc_params.check_known`), so the definition and the behaviour agree.
"""

from __future__ import annotations

from hexops.dashboard.api._ogc_filter import FILTER_LANGUAGES
from hexops.dashboard.api._ogc_params import DEFAULT_LIMIT, MAX_LIMIT
from hexops.geodata.sharing import MAX_OFFSET, Collection
from hexops.services import shared_metadata

_SEL = "Accepted and ignored here, for clients that add their query to every request (GDAL's OAPIF:url?query)."

#: Query parameters of an items request (besides the collection's queryables).
ITEMS = ("f", "bbox", "bbox-crs", "datetime", "limit", "offset", "cursor", "resolution", "crs", "filter",
         "filter-lang", "filter-crs", "sortby", "properties")
#: The selection parameters every other resource accepts and ignores (see ``_SEL``).
PASSTHROUGH = frozenset(ITEMS)
RESOURCE_PARAMETERS = {
    "metadata": PASSTHROUGH,            # landing page, api, conformance, collections, a collection
    "items": frozenset(ITEMS),
    "item": PASSTHROUGH,
    "schema": frozenset({"f"}),         # queryables, schema
}

_PARAMETERS = {
    "f": ({"type": "string", "enum": ["json", "geojson"]}, "Format: JSON only"),
    "bbox": ({"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6},
             "Lower and upper corner (4 numbers, or 6 with heights), in bbox-crs and its axis order; features "
             "whose geometry intersects it"),
    "bbox-crs": ({"type": "string", "format": "uri"}, "CRS of bbox (default CRS84)"),
    "datetime": ({"type": "string"}, "RFC 3339 date-time or date (a whole UTC day), or an interval a/b with '..' "
                                     "or nothing for an open end"),
    "limit": ({"type": "integer", "minimum": 1, "default": DEFAULT_LIMIT},
              f"Page size; more than {MAX_LIMIT} is served as {MAX_LIMIT}"),
    "offset": ({"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
               "Page start (deeper pages: follow the next link)"),
    "cursor": ({"type": "string"}, "Where the page starts (from a next link)"),
    "resolution": ({"type": "integer", "enum": [8, 9, 10]},
                   "H3 resolution (hexagons; each collection lists the ones it offers)"),
    "crs": ({"type": "string", "format": "uri"}, "CRS of the response's coordinates (see the collection's crs)"),
    "filter": ({"type": "string"}, "CQL2 filter over the collection's queryables"),
    "filter-lang": ({"type": "string", "enum": list(FILTER_LANGUAGES), "default": "cql2-text"},
                    "Language of filter (cql-text: the draft name GDAL 3.6 sends, read as CQL2 text)"),
    "filter-crs": ({"type": "string", "format": "uri"}, "CRS of the filter's geometries (default CRS84)"),
    "sortby": ({"type": "string"}, "Comma-separated queryables, '-' before a name for descending"),
    "properties": ({"type": "string"}, "Comma-separated properties to keep in each feature"),
}

_LINK = {"type": "object", "required": ["href", "rel"], "properties": {
    "href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"},
    "title": {"type": "string"}, "templated": {"type": "boolean"}}}
_LINKS = {"type": "array", "items": {"$ref": "#/components/schemas/link"}}
_SCHEMAS = {
    "link": _LINK,
    "exception": {"type": "object", "required": ["code"], "properties": {
        "code": {"type": "string"}, "description": {"type": "string"}}},
    "landingPage": {"type": "object", "required": ["links"], "properties": {
        "title": {"type": "string"}, "description": {"type": "string"}, "links": _LINKS}},
    "confClasses": {"type": "object", "required": ["conformsTo"], "properties": {
        "conformsTo": {"type": "array", "items": {"type": "string"}}}},
    "collection": {"type": "object", "required": ["id", "links"], "properties": {
        "id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
        "itemType": {"type": "string"}, "crs": {"type": "array", "items": {"type": "string"}},
        "storageCrs": {"type": "string"},
        "extent": {"type": "object", "properties": {
            "spatial": {"type": "object", "properties": {
                "bbox": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
                "crs": {"type": "string"}}},
            "temporal": {"type": "object", "properties": {
                "interval": {"type": "array", "items": {"type": "array", "items": {
                    "type": "string", "format": "date-time", "nullable": True}}},
                "trs": {"type": "string"}}}}},
        "links": _LINKS}},
    "collections": {"type": "object", "required": ["links", "collections"], "properties": {
        "links": _LINKS, "collections": {"type": "array", "items": {"$ref": "#/components/schemas/collection"}}}},
    "feature": {"type": "object", "required": ["type", "geometry", "properties"], "properties": {
        "type": {"type": "string", "enum": ["Feature"]}, "id": {"type": "string"},
        "geometry": {"type": "object", "nullable": True}, "properties": {"type": "object", "nullable": True},
        "links": _LINKS}},
    "featureCollection": {"type": "object", "required": ["type", "features"], "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": {"$ref": "#/components/schemas/feature"}},
        "links": _LINKS, "timeStamp": {"type": "string", "format": "date-time"},
        "numberMatched": {"type": "integer", "minimum": 0}, "numberReturned": {"type": "integer", "minimum": 0}}},
    "jsonSchema": {"type": "object"},
    "openapi": {"type": "object", "required": ["openapi", "paths"]},
}


def _parameter(name: str, where: str = "query", schema: dict | None = None, description: str = "") -> dict:
    if schema is None:
        schema, description = _PARAMETERS[name]
    return {"name": name, "in": where, "required": where == "path", "schema": schema, "description": description,
            **({"style": "form", "explode": False} if schema.get("type") == "array" else {})}


def _responses(schema: str, media: str = "application/json", *errors: int) -> dict:
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}}}
    # The access layer's refusals (401, 403) carry their own small JSON body.
    refusal = {"content": {"application/json": {"schema": {"type": "object"}}}}
    found = {"200": {"description": "OK", "content": {media: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}},
             "400": {"description": "A parameter is unknown or invalid (the description names it)", **error},
             "401": {"description": "No valid credentials (WWW-Authenticate: Bearer)", **refusal},
             "403": {"description": "Not granted", **refusal}}
    for status in errors:
        found[str(status)] = {"description": {404: "Not found", 503: "The query ran past its time limit"}[status],
                              **error}
    return found


def _get(summary: str, parameters: list, responses: dict) -> dict:
    return {"get": {"summary": summary, "parameters": parameters, "responses": responses}}


def _items_parameters(queryables: dict[str, str] | None = None) -> list:
    found = [_parameter(name) for name in ITEMS]
    for name, kind in (queryables or {}).items():
        if name not in PASSTHROUGH:
            found.append(_parameter(name, schema={"type": "string"},
                                    description=f"Features whose {name} ({kind}) equals this value"))
    return found


def openapi_document(base: str, collections: list[Collection], reveal_cameras: bool) -> dict:
    """The definition of these endpoints for a reader who sees ``collections``."""
    collection_id = _parameter("collectionId", "path", {"type": "string"}, "Collection id")
    ignored = [{**_parameter(n), "description": _SEL} for n in ITEMS if n != "f"]
    metadata = [_parameter("f"), *ignored]
    paths = {
        "/": _get("Landing page", metadata, _responses("landingPage")),
        "/api": _get("This API definition", metadata, _responses("openapi", "application/vnd.oai.openapi+json;"
                                                                             "version=3.0")),
        "/conformance": _get("Conformance classes", metadata, _responses("confClasses")),
        "/collections": _get("Collections you are granted", metadata, _responses("collections")),
        "/collections/{collectionId}": _get("A collection", [collection_id, *metadata],
                                            _responses("collection", "application/json", 404)),
        "/collections/{collectionId}/queryables": _get(
            "What the collection can be filtered and sorted on", [collection_id, _parameter("f")],
            _responses("jsonSchema", "application/schema+json", 404)),
        "/collections/{collectionId}/schema": _get(
            "Schema of the collection's features", [collection_id, _parameter("f")],
            _responses("jsonSchema", "application/schema+json", 404)),
        "/collections/{collectionId}/items": _get(
            "Features", [collection_id, *_items_parameters()],
            _responses("featureCollection", "application/geo+json", 404, 503)),
        "/collections/{collectionId}/items/{featureId}": _get(
            "One feature", [collection_id, _parameter("featureId", "path", {"type": "string"}, "Feature id"),
                            *metadata], _responses("feature", "application/geo+json", 404, 503)),
    }
    for collection in collections:
        paths[f"/collections/{collection.id}/items"] = _get(
            f"Features of {collection.id}",
            _items_parameters(shared_metadata.queryables(collection, reveal_cameras)),
            _responses("featureCollection", "application/geo+json", 404, 503))
    return {
        "openapi": "3.0.3",
        "info": {"title": "hexops shared layers", "version": "1.1",
                 "description": "OGC API - Features (Parts 1, 2 and 3) over the layers your department is "
                                "granted. Authenticate with Authorization: Bearer <token> (scope layers:read)."},
        "servers": [{"url": base}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": _SCHEMAS},
        "security": [{"bearer": []}],
        "paths": paths,
    }
