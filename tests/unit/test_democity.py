"""The demo city: deterministic, on land, in its districts, with the scenario cameras."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.spatial import cKDTree
from hypothesis import given, settings
from hypothesis import strategies as st

from hexops.democity import build_city, scenarios
from hexops.analytics.fov import ARC_POINTS, wedges
from hexops.democity.incidents import simulate_incidents


def test_the_same_seed_builds_identical_frames(small_city):
    again = build_city(seed=7, n_cameras=300)
    for name in ("districts", "cameras", "event_zones", "low_lying", "rain_gauges"):
        a, b = getattr(small_city, name), getattr(again, name)
        assert a.drop(columns=a.geometry.name).equals(b.drop(columns=b.geometry.name)), name
        assert a.geometry.geom_equals_exact(b.geometry, tolerance=0).all(), name
    assert small_city.cameras["fov"].geom_equals_exact(again.cameras["fov"], tolerance=0).all()


def test_another_seed_places_the_cameras_elsewhere(small_city):
    other = build_city(seed=8, n_cameras=300)
    assert not np.allclose(small_city.cameras.geometry.x, other.cameras.geometry.x)


def test_there_are_eighteen_valid_districts_covering_the_land(small_city):
    d = small_city.districts
    assert sorted(d["code"]) == sorted("ABCDEFGHJKLMNPQRST")
    assert d.is_valid.all() and (d.geom_type == "MultiPolygon").all()
    covered = shapely.union_all(d.geometry.to_numpy()).area
    assert covered == pytest.approx(small_city.land.area, rel=1e-6)


def test_the_authored_land_is_about_the_size_of_hong_kong(small_city):
    km2 = gpd.GeoSeries([small_city.land], crs="EPSG:4326").to_crs("EPSG:2326").area.iloc[0] / 1e6
    # Hong Kong's land area is about 1,110 km2; the outline is coarse.
    assert 950 < km2 < 1250


def test_every_camera_stands_on_land_in_the_district_recorded_for_it(small_city):
    cams = small_city.cameras
    assert shapely.contains_xy(small_city.land, cams.geometry.x, cams.geometry.y).all()
    by_code = dict(zip(small_city.districts["code"], small_city.districts.geometry))
    inside = [by_code[c].distance(p) < 1e-9 for c, p in zip(cams["district_code"], cams.geometry)]
    assert np.mean(inside) == 1.0


def test_camera_ids_are_unique_and_owners_are_the_five_departments(small_city):
    cams = small_city.cameras
    assert cams["camera_id"].is_unique
    assert set(cams["owner_code"]) == {"HKPF", "HD", "TD", "LCSD", "ImmD"}


def test_scenario_cameras_keep_their_ids_whatever_the_network_size(small_city):
    bigger = build_city(seed=7, n_cameras=1000)
    fixed = small_city.cameras["camera_id"].iloc[:80].tolist()
    assert bigger.cameras["camera_id"].iloc[:80].tolist() == fixed
    assert scenarios.RAINSTORM.lone_wet_camera in fixed
    assert sum(c.startswith(f"LCSD-{scenarios.FIREWORKS.densest_zone}-") for c in fixed) >= 10


def test_cameras_at_a_flooding_place_share_its_hexes(small_city):
    cams = small_city.cameras
    for place in scenarios.LOW_LYING:
        at = cams[cams["camera_id"].str.contains(f"-{place.place_id}-")]
        assert len(at) == place.n_cameras
        assert set(at["h3_r9"]) == {place.cell(9)}
        assert set(at["h3_r10"]) == {place.cell(10)}


def test_zone_cameras_stand_inside_their_zone(small_city):
    zones = small_city.event_zones.set_index("zone_id")
    for spec in scenarios.FIREWORKS.zones:
        cams = small_city.cameras[small_city.cameras["camera_id"].str.startswith(f"LCSD-{spec.zone_id}-")]
        assert len(cams) == spec.n_cameras
        assert cams.within(zones.loc[spec.zone_id, "geometry"]).all()


def test_the_expected_fireworks_zones_are_those_above_the_alert_density():
    fw = scenarios.FIREWORKS
    assert fw.densest_zone in fw.expected_zones
    assert set(fw.expected_zones) == {"TST", "WCH", "CEN", "WKCD"}
    peaks = {z.zone_id: z.peak_density_p_m2 for z in fw.zones}
    assert peaks[fw.densest_zone] == max(peaks.values()) > 4.0


def test_the_fireworks_zones_hold_the_polices_whole_harbour_estimate_at_plausible_densities(small_city):
    zones = small_city.event_zones.set_index("zone_id")
    low, high = scenarios.POLICE_ESTIMATE_RANGE
    peak_total = float((zones["area_m2"] * zones["peak_density_p_m2"]).sum())
    assert low <= peak_total <= high
    for spec in scenarios.FIREWORKS.zones:
        # Each zone's area is the real walkable area it stands for, whatever the demo's coarse coast.
        assert zones.loc[spec.zone_id, "area_m2"] == pytest.approx(spec.walkable_area_m2, rel=1e-3)
        assert 0.5 <= spec.peak_density_p_m2 <= 4.5
    assert (zones["capacity"] == (zones["area_m2"] * 3.6).round().astype(int)).all()


def test_scenario_times_are_utc_and_read_right_in_hong_kong():
    assert scenarios.DEMO_START.isoformat() == "2026-09-30T16:00:00+00:00"
    assert scenarios.FIREWORKS.show_start.astimezone(scenarios.HKT).strftime("%H:%M") == "21:00"
    assert scenarios.RAINSTORM.black_start.astimezone(scenarios.HKT).strftime("%H:%M") == "15:30"


@settings(max_examples=30, deadline=None)
@given(
    heading=st.floats(0, 360), angle=st.floats(10, 170),
    near=st.floats(0, 10), depth=st.floats(5, 150),
    lon=st.floats(113.9, 114.3), lat=st.floats(22.2, 22.5),
)
def test_a_field_of_view_is_a_valid_sector_of_the_right_area(heading, angle, near, depth, lon, lat):
    far = near + depth
    polys, area = wedges(np.array([lon]), np.array([lat]), np.array([heading]), np.array([angle]),
                         np.array([near]), np.array([far]))
    assert polys[0].is_valid
    sector = 0.5 * np.radians(angle) * (far ** 2 - near ** 2)
    # The polygon is inscribed in the arcs: each chord spans `step` radians.
    step = np.radians(angle) / (ARC_POINTS - 1)
    assert area[0] == pytest.approx(sector * np.sin(step) / step, rel=1e-6)


def test_incidents_are_deterministic_and_within_the_history(small_city):
    a = simulate_incidents(small_city, scenarios.HISTORY_START, scenarios.HISTORY_END, seed=3)
    b = simulate_incidents(small_city, scenarios.HISTORY_START, scenarios.HISTORY_END, seed=3)
    assert a.equals(b)
    assert a["occurred_at"].min() >= scenarios.HISTORY_START
    assert a["occurred_at"].max() < scenarios.HISTORY_END
    assert a["external_id"].is_unique
    assert set(a["source"]) == {"public", "patrol"}


def test_incidents_repeat_near_each_other_more_than_chance(small_city):
    """A Knox test: pairs within 100 m fall within 3 days of each other far more often than by chance."""
    inc = simulate_incidents(small_city, scenarios.HISTORY_START, scenarios.HISTORY_END, seed=3)
    pts = gpd.GeoSeries(gpd.points_from_xy(inc["lon"], inc["lat"]), crs="EPSG:4326").to_crs("EPSG:2326")
    pairs = cKDTree(np.c_[pts.x, pts.y]).query_pairs(100.0, output_type="ndarray")
    days = inc["occurred_at"].astype("int64").to_numpy() / 86_400e9

    def close_in_time(t):
        return int((np.abs(t[pairs[:, 0]] - t[pairs[:, 1]]) < 3).sum())

    rng = np.random.default_rng(0)
    by_chance = np.mean([close_in_time(rng.permutation(days)) for _ in range(5)])
    assert close_in_time(days) > 1.4 * by_chance


def test_the_crowded_window_of_an_expected_zone_spans_the_show():
    from hexops.democity.rhythm import zone_crowded_window

    for zone in scenarios.FIREWORKS.expected_zones:
        first, last = zone_crowded_window(zone)
        assert scenarios.FIREWORKS.build_start < first < scenarios.FIREWORKS.show_start
        assert scenarios.FIREWORKS.show_end < last < scenarios.FIREWORKS.dispersed_by
    assert zone_crowded_window("KTRP") is None
    first, _ = zone_crowded_window(scenarios.FIREWORKS.densest_zone, 4.0)
    assert first.tz_convert("Asia/Hong_Kong").hour == 20
