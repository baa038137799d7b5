"""The ingest core against a real PostGIS: hand counts, idempotency, quarantine."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import psycopg
from psycopg import sql
import pytest

from hexops.geodata.h3cells import latlng_to_cells
from hexops.ingest.core import ingest_events
from hexops.ingest.validate import IngestPolicy
from tests.fixtures.ingest import NOW, event

T0 = dt.datetime(2026, 11, 21, 11, 50, 0, tzinfo=dt.timezone.utc)


def _rows(url: str, query: str, params=()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


def _ingest(url: str, rows: list[dict], **kwargs):
    with psycopg.connect(url) as conn:
        return ingest_events(conn, pd.DataFrame(rows), source="test", now=NOW, **kwargs)


def test_camera_minute_sums_equal_a_hand_count(cameras_db_url):
    rows = [
        event("e1", "CAM-A", T0, 10, people=4, vehicles=2),
        event("e2", "CAM-A", T0 + dt.timedelta(seconds=10), 20, people=6, vehicles=0, water_state="wet",
              water_confidence=0.7),
        # Straddles the minute boundary: 30 s in 11:50, 10 s in 11:51.
        event("e3", "CAM-A", T0 + dt.timedelta(seconds=30), 40, people=3, vehicles=1, saturated=True),
        event("e4", "CAM-C", T0, 60, people=10, vehicles=5, water_state="flooded", water_confidence=0.95),
    ]
    report = _ingest(cameras_db_url, rows)
    assert (report.accepted, report.duplicates, report.rejected) == (4, 0, 0)
    got = {
        (cid, minute.minute): rest
        for cid, minute, *rest in _rows(
            cameras_db_url,
            "SELECT camera_id, minute, n_events, covered_s, people_s, people_max, vehicles_s, wet_s, "
            "flooded_s, saturated_n, water_conf_max FROM detections_camera_minute",
        )
    }
    assert got[("CAM-A", 50)] == pytest.approx([3, 60.0, 4 * 10 + 6 * 20 + 3 * 30, 6, 2 * 10 + 1 * 30, 20.0, 0.0,
                                                1, 0.9])
    assert got[("CAM-A", 51)] == pytest.approx([1, 10.0, 3 * 10, 3, 1 * 10, 0.0, 0.0, 1, 0.9])
    assert got[("CAM-C", 50)] == pytest.approx([1, 60.0, 600.0, 10, 300.0, 0.0, 60.0, 0, 0.95])
    assert len(got) == 3


def test_hex_rollups_sum_cameras_sharing_a_cell_at_each_resolution(cameras_db_url):
    rows = [event("a", "CAM-A", T0, 60, people=5), event("b", "CAM-B", T0, 30, people=2),
            event("c", "CAM-C", T0, 60, people=1)]
    _ingest(cameras_db_url, rows)
    cell_a = {r: int(latlng_to_cells([22.29390], [114.17170], r)[0]) for r in (8, 9, 10)}
    for resolution in (8, 9, 10):
        (people_s, covered_s, n_events, bucket), = _rows(
            cameras_db_url,
            "SELECT people_s, covered_s, n_events, bucket FROM detections_hex_5min WHERE h3 = %s",
            (cell_a[resolution],),
        )
        assert (people_s, covered_s, n_events) == (5 * 60 + 2 * 30, 90.0, 2)
        assert bucket == T0
    (n_hex,), = _rows(cameras_db_url, "SELECT count(*) FROM detections_hex_5min")
    assert n_hex == 6  # CAM-A/B share their cells; CAM-C has its own, at three resolutions


def test_a_redelivered_batch_changes_nothing(cameras_db_url):
    rows = [event(f"r{i}", "CAM-A", T0 + dt.timedelta(seconds=5 * i), 5, people=i) for i in range(12)]
    first = _ingest(cameras_db_url, rows)
    before = _rows(cameras_db_url, "SELECT * FROM detections_camera_minute ORDER BY 1, 2")
    hex_before = _rows(cameras_db_url, "SELECT * FROM detections_hex_5min ORDER BY 1, 3")
    again = _ingest(cameras_db_url, rows)
    assert first.accepted == 12 and again.accepted == 0 and again.duplicates == 12
    assert _rows(cameras_db_url, "SELECT * FROM detections_camera_minute ORDER BY 1, 2") == before
    assert _rows(cameras_db_url, "SELECT * FROM detections_hex_5min ORDER BY 1, 3") == hex_before


def test_an_event_repeated_inside_one_batch_counts_once(cameras_db_url):
    report = _ingest(cameras_db_url, [event("same", people=7), event("same", people=7)])
    assert list(report.outcomes) == ["accepted", "duplicate"]
    (people_s,), = _rows(cameras_db_url, "SELECT sum(people_s) FROM detections_camera_minute")
    assert people_s == 70.0


def test_a_bad_event_is_quarantined_with_its_reason_while_the_good_ones_land(cameras_db_url):
    rows = [event("good-1", people=2), event("bad-people", people=-3), event("good-2", "CAM-C", people=1),
            event("bad-camera", "CAM-NOPE")]
    report = _ingest(cameras_db_url, rows)
    assert list(report.outcomes) == ["accepted", "rejected", "accepted", "rejected"]
    assert report.reasons[1] == "people: must be >= 0, got -3"
    assert report.reasons[3] == "camera_id: unknown camera 'CAM-NOPE'"
    quarantined = _rows(cameras_db_url,
                        "SELECT row_number, event_id, reason, payload FROM ingest_quarantine ORDER BY row_number")
    assert [(r[0], r[1], r[2]) for r in quarantined] == [
        (2, "bad-people", "people: must be >= 0, got -3"),
        (4, "bad-camera", "camera_id: unknown camera 'CAM-NOPE'"),
    ]
    assert quarantined[0][3]["people"] == -3
    (people_s,), = _rows(cameras_db_url, "SELECT sum(people_s) FROM detections_camera_minute")
    assert people_s == 2 * 10 + 1 * 10


def test_a_late_event_inside_the_window_updates_its_bucket(cameras_db_url):
    _ingest(cameras_db_url, [event("on-time", start=T0, seconds=30, people=2)])
    late = event("late", start=T0 + dt.timedelta(seconds=30), seconds=30, people=4)
    report = _ingest(cameras_db_url, [late], policy=IngestPolicy(max_late_s=3600))
    assert report.accepted == 1
    (covered, people_s, n), = _rows(cameras_db_url,
                                    "SELECT covered_s, people_s, n_events FROM detections_camera_minute")
    assert (covered, people_s, n) == (60.0, 2 * 30 + 4 * 30, 2)


def test_an_event_older_than_the_late_window_is_rejected_as_too_old(cameras_db_url):
    old = event("old", start=NOW - dt.timedelta(hours=3))
    report = _ingest(cameras_db_url, [old], policy=IngestPolicy(max_late_s=3600))
    assert report.reasons[0].startswith("window_start: older than the late-event window")
    assert _rows(cameras_db_url, "SELECT count(*) FROM detections_camera_minute") == [(0,)]


def test_a_failure_midway_leaves_nothing_half_written(cameras_db_url, pg_cluster):
    from tests.conftest import url_as

    rows = [event("x1"), event("x2", people=-1)]
    # Changing a table's definition takes its owner (the app's role owns none).
    with psycopg.connect(url_as(pg_cluster, cameras_db_url, "owner")) as owner:
        owner.execute("ALTER TABLE detections_hex_5min ADD CONSTRAINT positive_h3 CHECK (h3 > 0)")
    with psycopg.connect(cameras_db_url) as conn:
        # A stale, wrong registry makes the insert fail after keys were claimed.
        from hexops.ingest.known_cameras import CameraRegistry
        broken = CameraRegistry.from_frame(pd.DataFrame({
            "camera_id": ["CAM-A"], "owner_code": ["HKPF"], "district_code": [None], "status": ["active"],
            "h3_r8": [-1], "h3_r9": [-1], "h3_r10": [-1]}))
        with pytest.raises(psycopg.errors.CheckViolation):
            ingest_events(conn, pd.DataFrame(rows), source="test", now=NOW, registry=broken)
        conn.rollback()
    for table in ("ingest_event_keys", "detections_camera_minute", "detections_hex_5min", "ingest_quarantine"):
        assert _rows(cameras_db_url, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))) == [(0,)]
    # The same batch goes through once the cause is fixed: nothing was marked as seen.
    report = _ingest(cameras_db_url, rows)
    assert (report.accepted, report.rejected) == (1, 1)
