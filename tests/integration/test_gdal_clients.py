"""GDAL (Debian's gdal-bin, 3.6 on Debian 12) reads the shared layers as a partner's GIS would (issue 15).

``ogrinfo``/``ogr2ogr`` run as processes against the live app with the
partner's token in a header file (``GDAL_HTTP_HEADER_FILE``, so the token is
in no URL and no process list): the OAPIF driver lists and reads every
granted collection, sends spatial filters as ``bbox`` and attribute filters
as CQL text (GDAL 3.6 names it ``cql-text``); the GeoJSON driver reads items
in HK1980 Grid; the MVT driver reads tiles with the TileJSON as their
metadata and writes them to GeoPackage.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import requests
from h3.api.basic_int import cell_to_latlng

from tests.fixtures.sharing import DSD_LAYERS, bearer, tile_of

PARTNER = "drainage-partner"
HK1980 = "http://www.opengis.net/def/crs/EPSG/0/2326"


@pytest.fixture(scope="module")
def gdal(sharing_world, tmp_path_factory):
    """Run a GDAL command as the partner; returns ``run(*args) -> CompletedProcess``."""
    if shutil.which("ogr2ogr") is None:
        pytest.fail("gdal-bin is required (make test installs it: scripts/ensure_system_deps.sh)")
    folder = tmp_path_factory.mktemp("gdal")
    header_file = folder / "headers"
    header_file.write_text(f"Authorization: Bearer {sharing_world.tokens[PARTNER]}\n")
    header_file.chmod(0o600)
    env = {**os.environ, "GDAL_HTTP_HEADER_FILE": str(header_file), "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
           "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".json,.mvt"}

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(list(args), capture_output=True, text=True, env=env, timeout=120, cwd=folder)
        if check:
            assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-2000:])
        return result

    run.folder = folder
    return run


def _geojson(gdal, *source: str) -> dict:
    return json.loads(gdal("ogr2ogr", "-f", "GeoJSON", "/vsistdout/", *source).stdout)


def _api(world, path: str, **params) -> dict:
    return requests.get(world.base_url + path, headers=bearer(world.tokens[PARTNER]), params=params,
                        timeout=30).json()


def _reads_with(world, needle: str) -> int:
    with psycopg.connect(world.db_url) as conn:
        return conn.execute("SELECT count(*) FROM audit_log WHERE action = 'partner.read' AND actor = %s "
                            "AND details::text LIKE %s", (PARTNER, f"%{needle}%")).fetchone()[0]


def test_ogr2ogr_copies_every_granted_collection_and_nothing_else_to_a_geopackage(sharing_world, gdal):
    gdal("ogr2ogr", "-f", "GPKG", "all.gpkg", f"OAPIF:{sharing_world.base_url}/ogcapi")
    listing = gdal("ogrinfo", "-ro", "-so", "all.gpkg").stdout
    layers = {line.split(":", 1)[1].split("(")[0].strip() for line in listing.splitlines() if line[:1].isdigit()}
    assert layers == set(DSD_LAYERS)
    for layer in ("water_states", "rainfall"):
        summary = gdal("ogrinfo", "-ro", "-so", "all.gpkg", layer).stdout
        matched = _api(sharing_world, f"/ogcapi/collections/{layer}/items")["numberMatched"]
        assert f"Feature Count: {matched}" in summary and matched > 0


def test_gdal_types_fields_from_the_schema_so_shares_stay_fractions(sharing_world, gdal):
    summary = gdal("ogrinfo", "-ro", "-so", f"OAPIF:{sharing_world.base_url}/ogcapi", "water_states").stdout
    assert "flooded_fraction: Real" in summary and "bucket_start: DateTime" in summary
    assert "camera_seconds" not in summary


def test_gdal_sends_its_spatial_filter_as_bbox_and_gets_true_intersections(sharing_world, gdal):
    lat, lon = cell_to_latlng(sharing_world.small)
    d = 0.0005
    found = _geojson(gdal, "-spat", str(lon - d), str(lat - d), str(lon + d), str(lat + d),
                     f"OAPIF:{sharing_world.base_url}/ogcapi", "water_states")
    matched = _api(sharing_world, "/ogcapi/collections/water_states/items",
                   bbox=f"{lon - d},{lat - d},{lon + d},{lat + d}")["numberMatched"]
    assert len(found["features"]) == matched == 1
    assert _reads_with(sharing_world, f"{lon - d}") >= 1


def test_gdal_sends_an_attribute_filter_to_the_server_as_cql_text(sharing_world, gdal):
    before = _reads_with(sharing_world, "flooded")
    found = _geojson(gdal, "-where", "state = 'flooded'", f"OAPIF:{sharing_world.base_url}/ogcapi", "water_states")
    assert [f["properties"]["state"] for f in found["features"]] == ["flooded"]
    assert _reads_with(sharing_world, "flooded") > before


def test_gdal_selects_a_time_window_by_filter_and_by_the_datetime_parameter(sharing_world, gdal):
    start = (sharing_world.bucket - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (sharing_world.bucket + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    by_filter = _geojson(gdal, "-where", f"bucket_start >= '{start}' AND bucket_start <= '{end}'",
                         f"OAPIF:{sharing_world.base_url}/ogcapi", "water_states")
    by_parameter = _geojson(gdal, f"OAPIF:{sharing_world.base_url}/ogcapi/collections/water_states"
                                  f"?datetime={start}/{end}")
    assert len(by_filter["features"]) == len(by_parameter["features"]) == 7


def test_gdal_reads_items_in_hk1980_grid_that_match_its_own_reprojection(sharing_world, gdal):
    # GDAL 3.6 has no OAPIF crs option (3.7 has): it reads crs= items with its GeoJSON driver, and
    # reprojects CRS84 items itself with -t_srs; the two must agree (HK1980 Grid is northing, easting).
    served = _geojson(gdal, f"{sharing_world.base_url}/ogcapi/collections/rainfall/items?crs={HK1980}")
    projected = _geojson(gdal, "-t_srs", "EPSG:2326", f"OAPIF:{sharing_world.base_url}/ogcapi", "rainfall")
    by_station = {f["properties"]["station_id"]: f["geometry"]["coordinates"] for f in projected["features"]}
    assert len(served["features"]) == len(by_station) == 2
    for feature in served["features"]:
        northing, easting = feature["geometry"]["coordinates"]
        gdal_easting, gdal_northing = by_station[feature["properties"]["station_id"]]
        assert abs(northing - gdal_northing) < 0.01 and abs(easting - gdal_easting) < 0.01


def test_the_mvt_driver_reads_tiles_with_the_tilejson_as_metadata_and_writes_a_geopackage(sharing_world, gdal):
    lat, lon = cell_to_latlng(sharing_world.small)
    x, y = tile_of(lat, lon, 13)
    tilejson = f"/vsicurl/{sharing_world.base_url}/tiles/water_states/tilejson.json"
    tile = f"MVT:{sharing_world.base_url}/tiles/water_states/13/{x}/{y}.mvt"
    summary = gdal("ogrinfo", "-ro", "-so", "-oo", f"METADATA_FILE={tilejson}", tile, "water_states").stdout
    # The tile encodes resolution 9 as an integer; "Real" is the TileJSON's Number: the metadata was read.
    assert "resolution: Real" in summary and "id: String" in summary
    gdal("ogr2ogr", "-f", "GPKG", "tile.gpkg", "-oo", f"METADATA_FILE={tilejson}", tile)
    copied = gdal("ogrinfo", "-ro", "-al", "-q", "tile.gpkg").stdout
    assert "89411cb361bffff" in copied or "state (String) = flooded" in copied
    assert Path(gdal.folder / "tile.gpkg").stat().st_size > 0


def test_gdal_is_refused_the_tiles_and_items_of_a_layer_not_granted(sharing_world, gdal):
    lat, lon = cell_to_latlng(sharing_world.small)
    x, y = tile_of(lat, lon, 13)
    tile = gdal("ogrinfo", "-ro", "-so", f"MVT:{sharing_world.base_url}/tiles/crowd_density/13/{x}/{y}.mvt",
                check=False)
    items = gdal("ogrinfo", "-ro", "-so", f"OAPIF:{sharing_world.base_url}/ogcapi/collections/crowd_density",
                 check=False)
    assert tile.returncode != 0 and items.returncode != 0
    assert "403" in tile.stderr + items.stderr or "Forbidden" in tile.stderr + items.stderr
