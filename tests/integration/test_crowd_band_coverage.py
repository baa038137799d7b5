"""Where cameras see a third of a zone's ground, the zone's occupancy band is within +/-20 %.

The demo's harbour-front zones are 5-12 % seen by their cameras, so the
property is shown on the fireworks night with a zone an event manager draws
around one promenade camera's view, through the same services as the page.
"""

from __future__ import annotations

import pytest
import shapely

from hexops.democity import scenarios
from hexops.geodata.uow import UnitOfWork
from hexops.services import crowd, crowd_zones
from tests.conftest import create_database_from_template, drop_database

FW = scenarios.FIREWORKS


@pytest.fixture
def fireworks_copy(pg_cluster, scenario_db_url):
    """A private copy of the fireworks database, so the drawn zone touches no other test."""
    url = create_database_from_template(pg_cluster, scenario_db_url, prefix="band")
    yield url
    drop_database(pg_cluster, url)


def test_a_zone_a_third_or_more_seen_has_an_occupancy_band_within_twenty_percent(fireworks_copy):
    from hexops.democity import build_city
    from tests.fixtures.crowdflood import N_CAMERAS

    cameras = build_city(n_cameras=N_CAMERAS).cameras.set_index("camera_id")
    fov = cameras.loc["LCSD-WCH-01", "fov"]                     # EPSG:4326 polygon
    # The camera's view plus a margin around it: about half of the drawn ground is seen.
    pen = shapely.convex_hull(fov).buffer(0.00002)
    ring = [tuple(xy) for xy in pen.exterior.coords][:-1]
    zone_id = crowd_zones.save_drawn_zone(UnitOfWork.for_url(fireworks_copy), "Viewing pen", 1000, ring, "em")
    uow = UnitOfWork.for_url(fireworks_copy)
    panel = crowd.zone_panel(uow, crowd.snapshot(uow, FW.show_start))
    row = panel.loc[zone_id]
    assert row["covered_fraction"] >= 1 / 3
    assert row["n_saturated"] == 0 and row["people"] > 0
    assert row["people_high"] <= 1.2 * row["people"]
    assert row["people_low"] >= 0.8 * row["people"]
