"""Alerts for people against the scenario database: named by place, worst first, camera details only when allowed."""

from __future__ import annotations

from datetime import datetime, timezone

import psycopg

from hexops.analytics.crowd import DEFAULT_THRESHOLDS
from hexops.geodata.uow import UnitOfWork
from hexops.services import alert_handling

SHOW = datetime(2026, 10, 1, 13, 0, tzinfo=timezone.utc)   # 21:00 HKT
STORM = datetime(2026, 10, 2, 8, 15, tzinfo=timezone.utc)  # 16:15 HKT


def test_flood_alerts_are_named_by_district_and_place_and_name_a_camera_only_for_those_who_may_know(pages_db_url):
    shown = alert_handling.flood_groups(UnitOfWork.for_url(pages_db_url), STORM)
    hidden = alert_handling.flood_groups(UnitOfWork.for_url(pages_db_url), STORM, reveal_cameras=False)
    assert shown and [g.key for g in shown] == [g.key for g in hidden]
    flooded = [a for g in shown for a in g.alerts if a.title.startswith("flooded")]
    assert flooded and all("nearest camera" in a.place and "camera(s) flooded" in a.detail for a in flooded)
    for alert in (a for g in hidden for a in g.alerts):
        assert "camera" not in alert.place and "camera" not in alert.detail and "rain" in alert.detail
    # Worst open first: the first group holds an open flooded hex.
    assert shown[0].worst_open == alert_handling.FLOOD_SEVERITY["flooded"]


def test_crowd_alerts_at_the_show_are_grouped_by_zone_and_district_and_the_first_acknowledgement_stands(pages_db_url):
    groups = alert_handling.crowd_groups(UnitOfWork.for_url(pages_db_url), SHOW, DEFAULT_THRESHOLDS)
    zones = [g for g in groups if g.key.startswith("zone:")]
    assert any(g.key == "zone:TST" and "Tsim Sha Tsui" in g.title for g in zones)
    open_ids = [a.alert_id for g in groups for a in g.alerts if a.state == "open"][:2]
    done = alert_handling.acknowledge(UnitOfWork.for_url(pages_db_url), "crowd", open_ids, user="first",
                                      note="  on it  ", at=SHOW)
    again = alert_handling.acknowledge(UnitOfWork.for_url(pages_db_url), "crowd", open_ids, user="second",
                                       note=None, at=SHOW)
    assert done == sorted(open_ids) and again == []
    with psycopg.connect(pages_db_url) as conn:
        rows = conn.execute("SELECT acknowledged_by, acknowledged_note FROM crowd_alerts WHERE alert_id = ANY(%s)",
                            (open_ids,)).fetchall()
        audited = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'crowd_alert.acknowledge' "
                               "AND target = ANY(%s)", ([str(i) for i in open_ids],)).fetchone()[0]
    assert rows == [("first", "on it")] * 2 and audited == 2
