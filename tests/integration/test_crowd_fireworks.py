"""The fireworks night: the expected zones alert in time, nothing flaps, saturation widens the band."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import psycopg
import pytest

from hexops.analytics.crowd import DEFAULT_THRESHOLDS, AlertConfig
from hexops.democity import scenarios
from hexops.geodata.uow import UnitOfWork
from hexops.services import crowd
from hexops.services.crowd_alerts import advance_alerts

FW = scenarios.FIREWORKS


@pytest.fixture(scope="module")
def fireworks(scenario_db_url):
    """Run the alert machine over the whole fireworks window once; return the alerts raised."""
    advance_alerts(UnitOfWork.for_url(scenario_db_url), FW.dispersed_by + timedelta(minutes=45),
                   start=FW.build_start - timedelta(hours=1), thresholds=DEFAULT_THRESHOLDS, config=AlertConfig())
    return crowd.alerts(UnitOfWork.for_url(scenario_db_url), FW.dispersed_by + timedelta(hours=1), hours=12)


def test_every_expected_zone_alerts_at_two_people_per_m2_before_the_show_and_no_other_zone_does(fireworks):
    zone = fireworks[(fireworks["region_kind"] == "zone") & (fireworks["threshold"] == 2.0)]
    assert set(zone["region_id"]) == set(FW.expected_zones)
    assert (zone["raised_at"] >= FW.build_start).all()
    assert (zone["raised_at"] <= FW.show_start).all()


def test_no_zone_or_hex_raises_a_second_alert_for_the_same_threshold_during_the_night(fireworks):
    assert len(fireworks) > len(FW.expected_zones)
    assert not fireworks.duplicated(["region_kind", "region_id", "threshold"]).any()


def test_the_densest_zone_alerts_first_on_its_rising_trend(fireworks):
    zone = fireworks[(fireworks["region_kind"] == "zone") & (fireworks["threshold"] == 2.0)]
    first = zone.sort_values("raised_at").iloc[0]
    assert first["region_id"] == FW.densest_zone
    assert first["cause"] == "projection"


def test_each_zone_raises_one_alert_per_threshold_and_it_clears_after_the_crowd_disperses(fireworks):
    zone = fireworks[fireworks["region_kind"] == "zone"]
    assert not zone.duplicated(["region_id", "threshold"]).any()
    two = zone[zone["threshold"] == 2.0]
    assert two["cleared_at"].notna().all()
    assert (two["cleared_at"] >= FW.peak_end).all()


def test_only_the_densest_zone_reaches_four_people_per_m2(fireworks):
    four = fireworks[(fireworks["region_kind"] == "zone") & (fireworks["threshold"] == 4.0)]
    assert set(four["region_id"]) <= {FW.densest_zone}


def test_the_zone_panel_at_the_peak_shows_occupancy_level_of_service_and_a_band(scenario_db_url):
    uow = UnitOfWork.for_url(scenario_db_url)
    panel = crowd.zone_panel(uow, crowd.snapshot(uow, FW.show_start))
    tst = panel.loc[FW.densest_zone]
    assert tst["los"] == "F"
    assert tst["people_low"] < tst["people"] < tst["people_high"]
    assert tst["occupancy_pct"] > 100
    assert panel.loc["KTRP", "density"] < 2.0


def test_the_whole_harbour_at_the_show_is_within_the_polices_estimate_at_plausible_densities(scenario_db_url):
    uow = UnitOfWork.for_url(scenario_db_url)
    panel = crowd.zone_panel(uow, crowd.snapshot(uow, FW.show_start))
    zones = panel.loc[[z.zone_id for z in FW.zones]]
    low, high = scenarios.POLICE_ESTIMATE_RANGE
    assert low <= zones["people"].sum() <= high
    assert (zones["density"] < 5.0).all()
    # No zone is a third seen by its cameras, so none is held to +/-20 %; the band stays honest but bounded.
    assert (zones["covered_fraction"] < 1 / 3).all()
    assert (zones["people_high"] / zones["people"] < 1.6).all() and (zones["people_low"] / zones["people"] > 0.6).all()


def test_saturated_cameras_widen_the_band_instead_of_lowering_the_count(scenario_db_url):
    from hexops.analytics.crowd import crowd_snapshot
    from hexops.geodata import crowd as q

    with UnitOfWork.for_url(scenario_db_url) as uow:
        layouts = crowd.load_layouts(uow)
        latest = q.latest_camera_counts(uow.conn, FW.show_start, crowd.STEP)
    assert latest["saturated"].any(), "the densest zone should saturate some cameras at the peak"
    with_flags, _ = crowd_snapshot(layouts["zone"], latest)
    blind = latest.assign(saturated=False, last_unsaturated=np.nan)
    without, _ = crowd_snapshot(layouts["zone"], blind)
    z = FW.densest_zone
    assert with_flags.loc[z, "people"] >= without.loc[z, "people"]
    assert with_flags.loc[z, "n_saturated"] > 0
    assert (with_flags.loc[z, "people_high"] - with_flags.loc[z, "people_low"]
            > without.loc[z, "people_high"] - without.loc[z, "people_low"])


def test_an_acknowledged_alert_stays_acknowledged_and_is_audited(scenario_db_url, fireworks):
    # The scenario database is shared with the page tests, which acknowledge
    # alerts of their own: take one nobody has acknowledged and count its entries only.
    before = crowd.alerts(UnitOfWork.for_url(scenario_db_url), FW.dispersed_by + timedelta(hours=1), hours=12)
    alert_id = int(before[before["acknowledged_by"].isna()].iloc[0]["alert_id"])
    assert crowd.acknowledge(UnitOfWork.for_url(scenario_db_url), alert_id, "em1", FW.show_start)
    assert not crowd.acknowledge(UnitOfWork.for_url(scenario_db_url), alert_id, "em2", FW.show_start)
    again = crowd.alerts(UnitOfWork.for_url(scenario_db_url), FW.dispersed_by + timedelta(hours=1),
                         hours=12).set_index("alert_id")
    with psycopg.connect(scenario_db_url) as conn:
        audited = conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'crowd_alert.acknowledge' AND target = %s",
            (str(alert_id),),
        ).fetchone()[0]
    assert again.loc[alert_id, "acknowledged_by"] == "em1"
    assert audited == 1
