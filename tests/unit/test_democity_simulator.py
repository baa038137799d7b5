"""The detection and rainfall simulator: schema, determinism, rhythm and scenarios."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from hexops.democity import scenarios
from hexops.ingest.schema import COLUMNS
from hexops.democity.simulator import simulate_detections, simulate_rainfall

FW, RS = scenarios.FIREWORKS, scenarios.RAINSTORM


@pytest.fixture(scope="module")
def fireworks_night(small_city):
    return simulate_detections(small_city, FW.build_start - timedelta(hours=2), FW.dispersed_by + timedelta(hours=1))


@pytest.fixture(scope="module")
def storm_afternoon(small_city):
    return simulate_detections(small_city, RS.start - timedelta(hours=1), RS.end + timedelta(hours=2))


def test_events_have_the_flat_schema_and_sane_values(fireworks_night):
    ev = fireworks_night
    assert set(COLUMNS) <= set(ev.columns)
    assert ev["event_id"].is_unique
    assert ((ev["window_end"] - ev["window_start"]) == pd.Timedelta(minutes=5)).all()
    assert (ev["people"] >= 0).all() and (ev["vehicles"] >= 0).all()
    assert ev["water_confidence"].between(0, 1).all()
    assert set(ev["water_state"]) <= {"dry", "wet", "flooded"}


def test_the_same_seed_gives_identical_events_and_chunks_agree(small_city):
    start, end = FW.show_start - timedelta(hours=1), FW.show_start + timedelta(hours=1)
    whole = simulate_detections(small_city, start, end, seed=5)
    again = simulate_detections(small_city, start, end, seed=5)
    halves = pd.concat([simulate_detections(small_city, start, FW.show_start, seed=5),
                        simulate_detections(small_city, FW.show_start, end, seed=5)], ignore_index=True)
    pd.testing.assert_frame_equal(whole, again)
    pd.testing.assert_frame_equal(whole, halves)
    assert not whole["people"].equals(simulate_detections(small_city, start, end, seed=6)["people"])


def test_only_active_cameras_report(small_city, fireworks_night):
    inactive = set(small_city.cameras.loc[small_city.cameras["status"] != "active", "camera_id"])
    assert not inactive & set(fireworks_night["camera_id"])


def test_a_saturated_camera_reports_exactly_its_countable_limit(small_city, fireworks_night):
    limits = small_city.cameras.set_index("camera_id")["max_countable"]
    sat = fireworks_night[fireworks_night["saturated"]]
    assert len(sat) > 0
    assert (sat["people"].to_numpy() == limits.loc[sat["camera_id"]].to_numpy()).all()
    assert (fireworks_night["people"].to_numpy() <= limits.loc[fireworks_night["camera_id"]].to_numpy()).all()


def _zone_density(city, events, zone_id):
    area = city.cameras.set_index("camera_id")["fov_area_m2"]
    z = events[events["camera_id"].str.startswith(f"LCSD-{zone_id}-")]
    return z.groupby("window_start").apply(lambda g: g["people"].sum() / area.loc[g["camera_id"]].sum(),
                                             include_groups=False)


def test_the_densest_zone_is_packed_but_plausible_during_the_show_only(small_city, fireworks_night):
    # Counted density: saturated cameras report their countable limit, a lower bound,
    # so the counted figure sits a little under the zone's true mean of 4.1 people/m2.
    d = _zone_density(small_city, fireworks_night, FW.densest_zone)
    show = d.loc[FW.show_start:FW.show_end - timedelta(minutes=5)]
    assert show.min() > 3.5 and show.max() < 5.0
    assert d.loc[:FW.build_start - timedelta(minutes=5)].max() < 0.5
    assert d.loc[FW.dispersed_by:].max() < 0.5


def test_zone_cameras_rarely_see_more_than_five_people_per_square_metre(small_city, fireworks_night):
    area = small_city.cameras.set_index("camera_id")["fov_area_m2"]
    show = fireworks_night[fireworks_night["camera_id"].str.startswith("LCSD-")
                           & (fireworks_night["window_start"] >= FW.show_start)
                           & (fireworks_night["window_start"] < FW.show_end)]
    density = show["people"].to_numpy() / area.loc[show["camera_id"]].to_numpy()
    assert (density > 5.0).mean() < 0.10
    assert density.max() < 7.0


def test_zones_not_expected_to_alert_stay_below_the_alert_density(small_city, fireworks_night):
    for spec in FW.zones:
        peak = _zone_density(small_city, fireworks_night, spec.zone_id).max()
        if spec.zone_id in FW.expected_zones:
            assert peak > FW.alert_density_p_m2, spec.zone_id
        else:
            assert peak < FW.alert_density_p_m2, spec.zone_id


def test_only_cameras_at_flooding_places_report_floods_and_at_least_two_agree(storm_afternoon):
    flooded = storm_afternoon[storm_afternoon["water_state"] == "flooded"]
    places = flooded["camera_id"].str.split("-").str[1]
    assert set(places) == set(RS.flooding_places)
    core = flooded[(flooded["window_start"] >= RS.flood_start + timedelta(minutes=10))
                   & (flooded["window_start"] < RS.flood_end - timedelta(minutes=15))]
    agree = core.assign(place=places).groupby(["window_start", "place"])["camera_id"].nunique()
    assert agree.min() >= 2
    assert flooded["window_start"].min() >= RS.flood_start - timedelta(minutes=5)
    assert flooded["window_end"].max() <= RS.flood_end + timedelta(minutes=5)


def test_the_lone_wet_camera_is_the_only_wet_camera_in_its_light_rain_district(small_city, storm_afternoon):
    district = small_city.cameras.set_index("camera_id")["district_code"]
    ev = storm_afternoon.assign(district=district.loc[storm_afternoon["camera_id"]].to_numpy())
    wet_there = ev[(ev["district"] == RS.light_rain_district) & (ev["water_state"] != "dry")]
    assert set(wet_there["camera_id"]) == {RS.lone_wet_camera}
    assert (wet_there["water_state"] == "wet").all()


def test_black_rain_falls_only_in_its_hour_and_its_districts(small_city):
    rain = simulate_rainfall(small_city, RS.start - timedelta(hours=1), RS.end + timedelta(hours=1))
    gauges = small_city.rain_gauges.set_index("station_id")["district_code"]
    black = rain[rain["mm_per_h"] > 70]
    assert set(gauges.loc[black["station_id"]]) == set(RS.black_rain_districts)
    assert black["observed_at"].min() > RS.black_start
    assert black["observed_at"].max() <= RS.black_end + timedelta(minutes=5)
    light = rain[gauges.loc[rain["station_id"]].to_numpy() == RS.light_rain_district]
    assert light["mm_per_h"].max() < 2.5


def test_the_city_is_busier_in_the_evening_than_before_dawn(small_city):
    day = simulate_detections(small_city, scenarios.hkt(2026, 10, 2, 0), scenarios.hkt(2026, 10, 2, 23), window_s=600)
    street = day[~day["camera_id"].str.contains("-(?:TST|WCH|CEN|WKCD|HH|NP|KTRP)-")]
    by_hour = street.groupby(street["window_start"].dt.tz_convert("Asia/Hong_Kong").dt.hour)["people"].mean()
    assert by_hour.loc[18] > 4 * by_hour.loc[4]
    vehicles = street.groupby(street["window_start"].dt.tz_convert("Asia/Hong_Kong").dt.hour)["vehicles"].mean()
    assert vehicles.loc[8] > 3 * vehicles.loc[3]


def test_an_empty_span_gives_no_events_and_no_readings(small_city):
    assert len(simulate_detections(small_city, scenarios.DEMO_START, scenarios.DEMO_START)) == 0
    assert len(simulate_rainfall(small_city, scenarios.DEMO_START, scenarios.DEMO_START)) == 0
