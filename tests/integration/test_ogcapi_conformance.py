"""Each requirement class /ogcapi/conformance claims, exercised against the live app (issue 15).

One section per class; a class listed in ``CONFORMANCE`` without a test here
fails ``test_every_claimed_class_has_a_test_here``.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta

import pytest
import requests
from h3.api.basic_int import cell_to_boundary, cell_to_latlng
from pyproj import Transformer

from hexops.dashboard.api._ogc_docs import CONFORMANCE
from hexops.geodata.h3cells import cell_to_str
from tests.fixtures.sharing import bearer

PARTNER = "drainage-partner"
ITEMS = "/ogcapi/collections/water_states/items"
TESTED = {
    "ogcapi-features-1/1.0/conf/core": "core", "ogcapi-features-1/1.0/conf/oas30": "oas30",
    "ogcapi-features-1/1.0/conf/geojson": "geojson", "ogcapi-features-2/1.0/conf/crs": "crs",
    "ogcapi-features-3/1.0/conf/queryables": "queryables",
    "ogcapi-features-3/1.0/conf/queryables-query-parameters": "queryables_query_parameters",
    "ogcapi-features-3/1.0/conf/filter": "filter", "ogcapi-features-3/1.0/conf/features-filter": "filter",
    "cql2/1.0/conf/cql2-text": "cql2_text", "cql2/1.0/conf/cql2-json": "cql2_json",
    "cql2/1.0/conf/basic-cql2": "basic_cql2",
    "cql2/1.0/conf/advanced-comparison-operators": "advanced_comparison",
    "cql2/1.0/conf/basic-spatial-functions": "spatial", "cql2/1.0/conf/basic-spatial-functions-plus": "spatial",
    "cql2/1.0/conf/spatial-functions": "spatial", "cql2/1.0/conf/property-property": "property_property",
}


def _get(world, path: str, user: str = PARTNER, **params):
    return requests.get(world.base_url + path, headers=bearer(world.tokens[user]), params=params, timeout=30)


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {f["id"] for f in response.json()["features"]}


def test_every_claimed_class_has_a_test_here():
    module = sys.modules[__name__]
    for uri in CONFORMANCE:
        tag = TESTED[uri.split("/spec/", 1)[1]]
        assert any(name.startswith(f"test_{tag}_") for name in dir(module)), uri


# -- Part 1: core -------------------------------------------------------------------------------------

def test_core_the_landing_page_links_the_definition_conformance_and_data(sharing_world):
    landing = _get(sharing_world, "/ogcapi").json()
    conformance = _get(sharing_world, "/ogcapi/conformance").json()["conformsTo"]
    assert {link["rel"] for link in landing["links"]} >= {"self", "service-desc", "conformance", "data"}
    assert conformance == CONFORMANCE


@pytest.mark.parametrize("path", ["/ogcapi", "/ogcapi/collections", "/ogcapi/collections/water_states", ITEMS,
                                  "/ogcapi/collections/water_states/queryables"])
def test_core_an_unknown_query_parameter_is_a_400_naming_it(sharing_world, path):
    response = _get(sharing_world, path, mm_per_hour="10")
    assert response.status_code == 400 and response.json()["description"].startswith("mm_per_hour:")


@pytest.mark.parametrize("value", ["html", "xml"])
def test_core_a_format_other_than_json_is_a_400_naming_f(sharing_world, value):
    response = _get(sharing_world, ITEMS, f=value)
    assert response.status_code == 400 and response.json()["description"].startswith("f:")


def test_core_an_unknown_path_under_ogcapi_is_a_json_404(sharing_world):
    response = _get(sharing_world, "/ogcapi/collections/water_states/itemz")
    assert response.status_code == 404 and response.json()["code"] == "NotFound"
    assert response.headers["Content-Type"].startswith("application/json")


def test_core_a_request_without_credentials_is_a_401_naming_the_bearer_scheme(sharing_world):
    anonymous = requests.get(sharing_world.base_url + ITEMS, timeout=30)
    wrong = requests.get(sharing_world.base_url + ITEMS, headers=bearer("hxt_not-a-token"), timeout=30)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]


def test_core_a_limit_above_the_maximum_is_served_as_the_maximum(sharing_world):
    body = _get(sharing_world, ITEMS, limit=100000).json()
    assert body["numberReturned"] == 13
    assert "limit=1000" in next(link["href"] for link in body["links"] if link["rel"] == "self")
    assert _get(sharing_world, ITEMS, limit=0).status_code == 400


def test_core_number_matched_is_given_on_every_page_even_an_empty_one(sharing_world):
    full = _get(sharing_world, ITEMS, limit=5).json()
    empty = _get(sharing_world, ITEMS, datetime="2001-01-01/2001-01-02").json()
    assert (full["numberMatched"], full["numberReturned"]) == (13, 5)
    assert (empty["numberMatched"], empty["numberReturned"]) == (0, 0)


def test_core_a_six_number_bbox_is_read_as_corners_with_heights(sharing_world):
    lat, lon = cell_to_latlng(sharing_world.small)
    d = 0.0005
    four = _ids(_get(sharing_world, ITEMS, bbox=f"{lon - d},{lat - d},{lon + d},{lat + d}"))
    six = _ids(_get(sharing_world, ITEMS, bbox=f"{lon - d},{lat - d},-100,{lon + d},{lat + d},1000"))
    assert four == six and len(four) == 1
    assert _get(sharing_world, ITEMS, bbox="1,2,3,4,5").status_code == 400


def test_core_bbox_keeps_a_hexagon_its_box_misses_even_when_their_envelopes_overlap(sharing_world):
    # A tiny box just outside one vertex of the small hexagon but inside its envelope.
    boundary = cell_to_boundary(sharing_world.small)
    top = max(boundary, key=lambda p: p[0])  # northernmost vertex (lat, lon)
    lat, lon = top[0] - 0.00002, top[1] + 0.0012
    inside_envelope = min(p[1] for p in boundary) < lon < max(p[1] for p in boundary)
    hits = _get(sharing_world, ITEMS, bbox=f"{lon - 1e-5},{lat - 1e-5},{lon + 1e-5},{lat + 1e-5}").json()
    assert inside_envelope
    assert cell_to_str(sharing_world.small) not in {f["properties"]["h3"] for f in hits["features"]}
    assert hits["numberMatched"] == hits["numberReturned"]


def test_core_each_collection_has_its_own_extents_from_its_data(sharing_world):
    docs = {c["id"]: c for c in _get(sharing_world, "/ogcapi/collections", "commander").json()["collections"]}
    water, rain, cameras = docs["water_states"], docs["rainfall"], docs["camera_positions"]
    assert water["extent"]["spatial"]["bbox"] != rain["extent"]["spatial"]["bbox"]
    west, south, east, north = water["extent"]["spatial"]["bbox"][0]
    lat, lon = cell_to_latlng(sharing_world.small)
    assert west < lon < east and south < lat < north and east - west < 0.05
    start, end = water["extent"]["temporal"]["interval"][0]
    assert end.startswith(sharing_world.bucket.strftime("%Y-%m-%dT%H:%M"))
    assert start.startswith((sharing_world.bucket - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    assert "temporal" not in cameras["extent"]


def test_core_a_date_is_its_whole_day_and_intervals_may_be_open(sharing_world):
    day = sharing_world.bucket.date()
    old_day = (sharing_world.bucket - timedelta(days=2)).date()
    assert len(_ids(_get(sharing_world, ITEMS, datetime=day.isoformat()))) == 7
    assert len(_ids(_get(sharing_world, ITEMS, datetime=f"../{old_day.isoformat()}"))) == 6
    assert len(_ids(_get(sharing_world, ITEMS, datetime=f"{old_day.isoformat()}/.."))) == 13
    assert len(_ids(_get(sharing_world, ITEMS, datetime=f"/{day.isoformat()}"))) == 13
    assert _get(sharing_world, ITEMS, datetime="2026-13-01").json()["description"].startswith("datetime:")


# -- Part 1: OpenAPI 3.0 and GeoJSON ------------------------------------------------------------------

def test_oas30_every_path_declares_response_schemas_that_resolve(sharing_world):
    response = _get(sharing_world, "/ogcapi/api")
    document = response.json()
    assert response.headers["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert document["openapi"].startswith("3.0")
    for path, item in document["paths"].items():
        for status, answer in item["get"]["responses"].items():
            for media in answer["content"].values():
                ref = media["schema"].get("$ref")
                if ref:
                    assert ref.rsplit("/", 1)[1] in document["components"]["schemas"], (path, status, ref)
    water = document["paths"]["/collections/water_states/items"]["get"]["parameters"]
    assert {"state", "wet_fraction", "filter", "filter-lang", "crs", "sortby"} <= {p["name"] for p in water}
    assert "camera_seconds" not in {p["name"] for p in water}


def test_oas30_the_items_answer_matches_its_declared_schema(sharing_world):
    import jsonschema

    document = _get(sharing_world, "/ogcapi/api").json()
    schemas = document["components"]["schemas"]
    resolver_doc = {"components": {"schemas": schemas}}
    body = _get(sharing_world, ITEMS, limit=3).json()
    schema = {**schemas["featureCollection"], "components": resolver_doc["components"]}
    jsonschema.validate(body, schema)


def test_geojson_items_and_features_are_geojson_with_geometry_and_properties(sharing_world):
    response = _get(sharing_world, ITEMS, limit=1)
    feature = response.json()["features"][0]
    single = _get(sharing_world, f"{ITEMS}/{feature['id']}")
    assert response.headers["Content-Type"].startswith("application/geo+json")
    assert single.headers["Content-Type"].startswith("application/geo+json")
    assert single.json()["geometry"] == feature["geometry"] and feature["geometry"]["type"] == "Polygon"


# -- Part 2: CRS by reference -------------------------------------------------------------------------

HK1980 = "http://www.opengis.net/def/crs/EPSG/0/2326"


def test_crs_each_collection_lists_crs84_epsg4326_and_the_citys_metric_crs(sharing_world):
    doc = _get(sharing_world, "/ogcapi/collections/water_states").json()
    assert doc["crs"] == ["http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                          "http://www.opengis.net/def/crs/EPSG/0/4326", HK1980]
    assert doc["storageCrs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def test_crs_hk1980_coordinates_are_northing_easting_of_the_same_place(sharing_world):
    first = _get(sharing_world, "/ogcapi/collections/rainfall/items", limit=1)
    fid = first.json()["features"][0]["id"]
    lon, lat = first.json()["features"][0]["geometry"]["coordinates"]
    grid = _get(sharing_world, f"/ogcapi/collections/rainfall/items/{fid}", crs=HK1980)
    latlon = _get(sharing_world, f"/ogcapi/collections/rainfall/items/{fid}", crs="EPSG:4326")
    northing, easting = grid.json()["geometry"]["coordinates"]
    expected_e, expected_n = Transformer.from_crs("OGC:CRS84", "EPSG:2326", always_xy=True).transform(lon, lat)
    assert abs(northing - expected_n) < 0.01 and abs(easting - expected_e) < 0.01
    assert grid.headers["Content-Crs"] == f"<{HK1980}>" and first.headers["Content-Crs"].endswith("CRS84>")
    assert latlon.json()["geometry"]["coordinates"] == [lat, lon]


def test_crs_a_bbox_in_hk1980_selects_what_the_same_box_in_crs84_selects(sharing_world):
    lat, lon = cell_to_latlng(sharing_world.small)
    d = 0.0005
    to_grid = Transformer.from_crs("OGC:CRS84", "EPSG:2326", always_xy=True)
    (e1, n1), (e2, n2) = to_grid.transform(lon - d, lat - d), to_grid.transform(lon + d, lat + d)
    in_grid = _ids(_get(sharing_world, ITEMS, bbox=f"{n1},{e1},{n2},{e2}", **{"bbox-crs": HK1980}))
    in_degrees = _ids(_get(sharing_world, ITEMS, bbox=f"{lon - d},{lat - d},{lon + d},{lat + d}"))
    assert in_grid == in_degrees and len(in_grid) == 1


def test_crs_a_crs_not_served_is_a_400_listing_those_that_are(sharing_world):
    response = _get(sharing_world, ITEMS, crs="http://www.opengis.net/def/crs/EPSG/0/3857")
    assert response.status_code == 400 and response.json()["description"].startswith("crs:")
    assert HK1980 in response.json()["description"]


# -- Part 3: queryables, filter, CQL2 -----------------------------------------------------------------

def test_queryables_are_what_the_reader_is_shown_with_types(sharing_world):
    partner = _get(sharing_world, "/ogcapi/collections/water_states/queryables")
    commander = _get(sharing_world, "/ogcapi/collections/water_states/queryables", "commander").json()
    props = partner.json()["properties"]
    assert partner.headers["Content-Type"].startswith("application/schema+json")
    assert props["bucket_start"]["format"] == "date-time" and props["wet_fraction"]["type"] == "number"
    assert "camera_seconds" not in props and "camera_seconds" in commander["properties"]
    assert "quarter" in props["wet_fraction"]["description"] or "0.25" in props["wet_fraction"]["description"]


def test_queryables_query_parameters_filter_on_one_property(sharing_world):
    flooded = _get(sharing_world, ITEMS, state="flooded").json()
    assert {f["properties"]["state"] for f in flooded["features"]} == {"flooded"}
    assert flooded["numberMatched"] == 1
    assert _get(sharing_world, ITEMS, camera_seconds="300").status_code == 400


def test_filter_mm_per_h_above_ten_returns_only_those_readings(sharing_world):
    above = _get(sharing_world, "/ogcapi/collections/rainfall/items", filter="mm_per_h > 13").json()
    assert [f["properties"]["mm_per_h"] for f in above["features"]] == [13.5]


def test_filter_an_unknown_property_or_language_is_a_400_naming_filter(sharing_world):
    assert _get(sharing_world, ITEMS, filter="depth > 1").json()["description"].startswith("filter:")
    assert _get(sharing_world, ITEMS, filter="state = 'wet'",
                **{"filter-lang": "sql"}).json()["description"].startswith("filter-lang:")
    assert _get(sharing_world, ITEMS, filter="state = ").status_code == 400


def test_cql2_text_combines_comparisons_with_and_or_not(sharing_world):
    wet = _ids(_get(sharing_world, ITEMS, filter="state = 'wet' AND NOT (wet_fraction < 0.5)"))
    either = _ids(_get(sharing_world, ITEMS, filter="state = 'flooded' OR state = 'wet'"))
    assert len(wet) == 6 and len(either) == 7


def test_cql2_json_means_what_the_same_text_means(sharing_world):
    as_json = json.dumps({"op": "and", "args": [{"op": "=", "args": [{"property": "state"}, "wet"]},
                                                {"op": ">=", "args": [{"property": "wet_fraction"}, 0.5]}]})
    assert _ids(_get(sharing_world, ITEMS, filter=as_json, **{"filter-lang": "cql2-json"})) == _ids(
        _get(sharing_world, ITEMS, filter="state = 'wet' AND wet_fraction >= 0.5"))


def test_basic_cql2_compares_times_and_tests_for_null(sharing_world):
    since = (sharing_world.bucket - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = _ids(_get(sharing_world, ITEMS, filter=f"bucket_start > TIMESTAMP('{since}')"))
    no_state = _ids(_get(sharing_world, ITEMS, filter="state IS NULL"))
    assert len(recent) == 7 and no_state == set()


def test_advanced_comparison_like_between_and_in(sharing_world):
    assert len(_ids(_get(sharing_world, ITEMS, filter="state LIKE 'fl%'"))) == 1
    assert len(_ids(_get(sharing_world, ITEMS, filter="wet_fraction BETWEEN 0.5 AND 1"))) == 6
    assert len(_ids(_get(sharing_world, ITEMS, filter="state IN ('dry', 'flooded')"))) == 7


def test_spatial_functions_on_the_geometry_with_bbox_point_and_polygon_literals(sharing_world):
    lat, lon = cell_to_latlng(sharing_world.small)
    point = _ids(_get(sharing_world, ITEMS, filter=f"S_INTERSECTS(geometry, POINT({lon} {lat}))"))
    box = _ids(_get(sharing_world, ITEMS, filter=f"S_INTERSECTS(geometry, BBOX({lon - 1e-4},{lat - 1e-4},"
                                                     f"{lon + 1e-4},{lat + 1e-4}))"))
    ring = [[lon - 1e-4, lat - 1e-4], [lon + 1e-4, lat - 1e-4], [lon + 1e-4, lat + 1e-4], [lon - 1e-4, lat - 1e-4]]
    polygon = json.dumps({"op": "s_within", "args": [{"type": "Polygon", "coordinates": [ring]},
                                                     {"property": "geometry"}]})
    within = _ids(_get(sharing_world, ITEMS, filter=polygon, **{"filter-lang": "cql2-json"}))
    disjoint = _ids(_get(sharing_world, ITEMS, filter=f"S_DISJOINT(geometry, POINT({lon} {lat}))"))
    assert point == box == within and len(point) == 1 and len(disjoint) == 12


def test_spatial_bbox_in_cql2_json_is_read_as_minx_miny_maxx_maxy(sharing_world):
    lat, lon = cell_to_latlng(sharing_world.small)
    box = json.dumps({"op": "s_intersects", "args": [{"property": "geometry"},
                                                     {"bbox": [lon - 1e-4, lat - 1e-4, lon + 1e-4, lat + 1e-4]}]})
    assert len(_ids(_get(sharing_world, ITEMS, filter=box, **{"filter-lang": "cql2-json"}))) == 1


def test_property_property_compares_two_properties(sharing_world):
    same = _ids(_get(sharing_world, ITEMS, filter="wet_fraction = flooded_fraction"))
    assert len(same) == 6  # the old, dry buckets: 0 = 0


def test_filter_sortby_orders_by_a_property_and_pages_keep_that_order(sharing_world):
    url = sharing_world.base_url + ITEMS + "?limit=4&sortby=-wet_fraction,h3"
    seen = []
    while url:
        body = requests.get(url, headers=bearer(sharing_world.tokens[PARTNER]), timeout=30).json()
        seen += [(f["properties"]["wet_fraction"], f["properties"]["h3"]) for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    fractions = [w for w, _ in seen]
    assert fractions == sorted(fractions, reverse=True) and len(seen) == 13
    assert _get(sharing_world, ITEMS, sortby="camera_seconds").json()["description"].startswith("sortby:")


def test_filter_properties_keeps_only_the_properties_asked_for(sharing_world):
    body = _get(sharing_world, ITEMS, properties="state,h3", limit=2).json()
    assert all(set(f["properties"]) == {"state", "h3"} for f in body["features"])
    assert _get(sharing_world, ITEMS, properties="camera_seconds").status_code == 400
