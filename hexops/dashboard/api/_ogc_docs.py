"""The documents of the OGC API that describe rather than serve data.

Landing page, conformance classes, a collection's document (extents, CRSs,
links), its queryables and its feature schema. Each document depends on
the reader only through what it may see (``reveal_cameras``); collections
it was not granted never reach here.
"""

from __future__ import annotations

from hexops.city import City
from hexops.dashboard.api import _ogc_crs
from hexops.geodata.sharing import Collection, Extent
from hexops.services import shared_metadata

OPENAPI_TYPE = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA_TYPE = "application/schema+json"
TILEJSON_TYPE = "application/vnd.mapbox.tile+json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"

_OGC = "http://www.opengis.net/spec"
#: The requirement classes this API claims; tests/integration/test_ogcapi_conformance.py exercises each.
CONFORMANCE = [
    f"{_OGC}/ogcapi-features-1/1.0/conf/core",
    f"{_OGC}/ogcapi-features-1/1.0/conf/oas30",
    f"{_OGC}/ogcapi-features-1/1.0/conf/geojson",
    f"{_OGC}/ogcapi-features-2/1.0/conf/crs",
    f"{_OGC}/ogcapi-features-3/1.0/conf/queryables",
    f"{_OGC}/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    f"{_OGC}/ogcapi-features-3/1.0/conf/filter",
    f"{_OGC}/ogcapi-features-3/1.0/conf/features-filter",
    f"{_OGC}/cql2/1.0/conf/cql2-text",
    f"{_OGC}/cql2/1.0/conf/cql2-json",
    f"{_OGC}/cql2/1.0/conf/basic-cql2",
    f"{_OGC}/cql2/1.0/conf/advanced-comparison-operators",
    f"{_OGC}/cql2/1.0/conf/basic-spatial-functions",
    f"{_OGC}/cql2/1.0/conf/basic-spatial-functions-plus",
    f"{_OGC}/cql2/1.0/conf/spatial-functions",
    f"{_OGC}/cql2/1.0/conf/property-property",
]

_JSON_TYPES = {"string": {"type": "string"}, "number": {"type": "number"}, "integer": {"type": "integer"},
               "boolean": {"type": "boolean"}, "date-time": {"type": "string", "format": "date-time"},
               "date": {"type": "string", "format": "date"}}


def link(href: str, rel: str, type_: str, title: str | None = None, **extra) -> dict:
    """One OGC API link object."""
    found = {"href": href, "rel": rel, "type": type_}
    if title:
        found["title"] = title
    found.update(extra)
    return found


def landing(base: str) -> dict:
    return {
        "title": "hexops shared layers",
        "description": "Aggregated camera-derived layers (H3 hexagons) shared with partner departments.",
        "links": [
            link(base, "self", "application/json", "This document"),
            link(f"{base}/api", "service-desc", OPENAPI_TYPE, "API definition (OpenAPI 3.0)"),
            link(f"{base}/conformance", "conformance", "application/json", "Conformance classes"),
            link(f"{base}/collections", "data", "application/json", "Collections"),
        ],
    }


def property_schemas(collection: Collection, reveal_cameras: bool) -> dict[str, dict]:
    """JSON Schema of each property the reader receives, with what is withheld or coarsened said."""
    notes = shared_metadata.property_notes(collection, reveal_cameras)
    schemas = {}
    for name, kind in shared_metadata.queryables(collection, reveal_cameras).items():
        schema = {"title": name, **_JSON_TYPES[kind]}
        if name in notes:
            schema["description"] = notes[name]
        schemas[name] = schema
    return schemas


def collection_document(collection: Collection, found: Extent, base: str, host: str, city: City,
                        reveal_cameras: bool) -> dict:
    """A collection's document: extents from its data, the CRSs it is served in, its links."""
    href = f"{base}/collections/{collection.id}"
    temporal = {"interval": [[found.start.isoformat() if found.start else None,
                              found.end.isoformat() if found.end else None]], "trs": GREGORIAN}
    extent = {"spatial": {"bbox": [list(shared_metadata.spatial_extent(found, city))], "crs": _ogc_crs.CRS84}}
    if collection.temporal:
        extent["temporal"] = temporal
    doc = {
        "id": collection.id, "title": collection.title, "description": collection.description,
        "itemType": "feature",
        "crs": [c.uri for c in _ogc_crs.served(city)], "storageCrs": _ogc_crs.CRS84,
        "extent": extent,
        "links": [
            link(href, "self", "application/json", collection.title),
            link(f"{href}/items", "items", "application/geo+json", "Features"),
            link(f"{href}/queryables", QUERYABLES_REL, SCHEMA_TYPE, "Queryables (filter and sort on these)"),
            # RFC 8288 relation names are case-insensitive; GDAL 3.6 matches only this spelling, and without
            # the schema it types fields from the first page (a share of 0 or 1 there becomes an integer).
            link(f"{href}/schema", "describedBy", SCHEMA_TYPE, "Schema of a feature"),
            link(f"{host}/tiles/{collection.id}/tilejson.json", "alternate", TILEJSON_TYPE,
                 "Vector tiles (TileJSON 3.0.0: tile URL template, bounds, zooms, fields)"),
        ],
        "hexops:layer": collection.layer,
        "hexops:suppressed_fields": list(collection.suppressed_fields),
    }
    if collection.resolutions:
        doc["hexops:h3_resolutions"] = list(collection.resolutions)
    return doc


def queryables_document(collection: Collection, base: str, reveal_cameras: bool) -> dict:
    """Part 3 queryables: a JSON Schema of what the reader may filter and sort on."""
    properties = {"geometry": {"title": "geometry", "format": "geometry-any",
                               "x-ogc-role": "primary-geometry"}}
    properties.update(property_schemas(collection, reveal_cameras))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{collection.id}/queryables",
        "type": "object", "title": f"{collection.title}: queryables",
        "description": "Filters and sorts see the published values: a withheld count is null, a coarsened "
                       "share is coarsened.",
        "properties": properties, "additionalProperties": False,
    }


def feature_schema(collection: Collection, base: str, reveal_cameras: bool) -> dict:
    """A JSON Schema of one GeoJSON feature of the collection (GDAL reads field types from it)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{collection.id}/schema",
        "title": collection.title, "type": "object", "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {"type": "object"},
            "properties": {"type": "object", "properties": property_schemas(collection, reveal_cameras)},
        },
    }
