"""Storage tiers on a real PostGIS: hourly rollups, monthly partitions, retention per tier, sizes."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import psycopg
import pytest

from hexops.geodata import heatmap
from hexops.geodata.ingest_retention import day_partitions, drop_partition
from hexops.geodata.uow import UnitOfWork
from hexops.ingest.core import ingest_events
from hexops.ingest.errors import IngestError
from hexops.ingest.retention import run_retention
from hexops.services import partitions
from tests.fixtures.ingest import event

T0 = dt.datetime(2026, 3, 14, 10, 0, tzinfo=dt.timezone.utc)


def _ingest(url: str, start: dt.datetime, hours: int) -> None:
    """Two cameras reporting 5-minute windows for ``hours`` hours (people 2 and 6)."""
    rows = [event(f"{cam}@{k}", cam, start + dt.timedelta(minutes=5 * k), seconds=300, people=people)
            for k in range(12 * hours) for cam, people in (("CAM-A", 2), ("CAM-C", 6))]
    with psycopg.connect(url) as conn:
        ingest_events(conn, pd.DataFrame(rows), source="test", now=start + dt.timedelta(hours=hours))
        conn.commit()


def _hour_rows(url: str) -> pd.DataFrame:
    with psycopg.connect(url) as conn:
        return pd.DataFrame(conn.execute(
            "SELECT h3, resolution, bucket, n_events, people_s, people_max FROM detections_hex_hour ORDER BY 3, 1"
        ).fetchall(), columns=["h3", "resolution", "bucket", "n_events", "people_s", "people_max"])


def test_hours_past_the_late_window_are_rolled_up_once_and_add_up_to_their_buckets(cameras_db_url):
    _ingest(cameras_db_url, T0, 3)
    # Three hours later plus the 6 h late window and an hour: the first two hours are settled.
    assert partitions.roll_up(UnitOfWork.for_url(cameras_db_url), T0 + dt.timedelta(hours=9)) == 2
    hours = _hour_rows(cameras_db_url)
    assert sorted(hours["bucket"].unique()) == [T0, T0 + dt.timedelta(hours=1)]
    with psycopg.connect(cameras_db_url) as conn:
        expected = conn.execute(
            "SELECT sum(people_s), sum(n_events) FROM detections_hex_5min WHERE bucket < %s",
            (T0 + dt.timedelta(hours=2),)).fetchone()
    assert hours["people_s"].sum() == pytest.approx(expected[0]) and hours["n_events"].sum() == expected[1]
    assert set(hours["people_max"]) == {2, 6}
    # Run again later: on from the cursor (the third hour, then empty ones), nothing twice.
    assert partitions.roll_up(UnitOfWork.for_url(cameras_db_url), T0 + dt.timedelta(hours=20)) == 11
    assert len(_hour_rows(cameras_db_url)) == len(hours) * 3 // 2


def test_the_map_reads_hours_whose_5_minute_rows_were_dropped_from_the_hourly_tier(cameras_db_url):
    _ingest(cameras_db_url, T0, 2)
    _ingest(cameras_db_url, T0 + dt.timedelta(days=1), 1)
    partitions.roll_up(UnitOfWork.for_url(cameras_db_url), T0 + dt.timedelta(days=2))
    window = (T0, T0 + dt.timedelta(hours=2))
    with psycopg.connect(cameras_db_url) as conn:
        before = heatmap.cell_values_sparse(conn, "people", 9, *window)
        drop_partition(conn, "detections_hex_5min_p20260314")  # as retention does, past 90 days
        after = heatmap.cell_values_sparse(conn, "people", 9, *window)
        newer = heatmap.cell_values_sparse(conn, "people", 9, T0 + dt.timedelta(days=1),
                                           T0 + dt.timedelta(days=1, hours=1))
    assert len(before.cells) == 2
    assert after.cells.tolist() == before.cells.tolist()
    assert after.values.tolist() == pytest.approx(before.values.tolist())
    assert sorted(newer.values.tolist()) == pytest.approx([2.0, 6.0])


def test_a_monthly_partition_goes_only_when_all_of_its_month_is_past_retention(cameras_db_url):
    _ingest(cameras_db_url, T0, 2)
    partitions.roll_up(UnitOfWork.for_url(cameras_db_url), T0 + dt.timedelta(days=1))
    with psycopg.connect(cameras_db_url) as conn:
        assert [d for _, d in day_partitions(conn, "detections_hex_hour")] == [dt.date(2026, 3, 1)]
        conn.execute("UPDATE hexops_partitioned_tables SET keep_days = 90 WHERE table_name = 'detections_hex_hour'")
        conn.commit()
        # 90 days after 14 March is in June: March's partition ends on 1 April, not yet past.
        assert run_retention(conn, now=dt.datetime(2026, 6, 20, tzinfo=dt.timezone.utc),
                             tables=["detections_hex_hour"])["detections_hex_hour"] == []
        dropped = run_retention(conn, now=dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc),
                                tables=["detections_hex_hour"])
        assert dropped["detections_hex_hour"] == [dt.date(2026, 3, 1)]


def test_retention_refuses_an_hourly_tier_kept_shorter_than_the_5_minute_one(cameras_db_url):
    with psycopg.connect(cameras_db_url) as conn:
        conn.execute("UPDATE hexops_partitioned_tables SET keep_days = 30 WHERE table_name = 'detections_hex_hour'")
        with pytest.raises(IngestError, match="detections_hex_hour"):
            run_retention(conn, tables=["detections_hex_hour"])


def test_dropping_old_camera_minutes_moves_the_first_minute_of_the_extent(cameras_db_url):
    _ingest(cameras_db_url, T0, 1)
    _ingest(cameras_db_url, T0 + dt.timedelta(days=3), 1)
    with psycopg.connect(cameras_db_url) as conn:
        assert conn.execute("SELECT first_minute FROM detections_extent").fetchone()[0] == T0
        run_retention(conn, now=T0 + dt.timedelta(days=9), tables=["detections_camera_minute"])
        first, last = conn.execute("SELECT first_minute, last_minute FROM detections_extent").fetchone()
    assert first == dt.datetime.combine(dt.date(2026, 3, 17), dt.time(), dt.timezone.utc)
    assert last == T0 + dt.timedelta(days=3, minutes=59)


def test_the_maintenance_job_reports_each_tier_and_the_panel_shows_their_sizes(cameras_db_url):
    _ingest(cameras_db_url, T0, 2)
    done = partitions.maintain(UnitOfWork.for_url(cameras_db_url), T0 + dt.timedelta(hours=9))
    assert done["created"] > 0 and done["rolled_up_hours"] == 2
    sizes = partitions.sizes(UnitOfWork.for_url(cameras_db_url))
    by_table = {t["table"]: t for t in sizes["tables"]}
    assert by_table["detections_hex_hour"]["period"] == "month"
    assert by_table["detections_camera_minute"]["keep_days"] == 7
    assert by_table["detections_hex_5min"]["bytes"] > 0 and sizes["total_bytes"] >= by_table["detections_hex_5min"]["bytes"]
    assert set(sizes["state"]) == {"detections_extent", "detections_camera_latest"}
    from hexops.dashboard.components.storage import render

    panel = str(render(sizes, "admin"))
    assert "detections_hex_hour" in panel and "admin-storage-table" in panel


def test_a_live_demo_rewind_takes_the_scale_tiers_back_to_its_cut(cameras_db_url):
    from hexops.geodata import demo, detections

    _ingest(cameras_db_url, T0, 3)
    partitions.roll_up(UnitOfWork.for_url(cameras_db_url), T0 + dt.timedelta(hours=10))
    cut = T0 + dt.timedelta(hours=1, minutes=30)
    with psycopg.connect(cameras_db_url) as conn:
        # A held minute's preview from after the cut, as a replay stopped mid-way leaves it.
        conn.execute("INSERT INTO detections_camera_latest (camera_id, minute, covered_s, people_s) "
                     "VALUES ('CAM-A', %s, 60, 600)", (T0 + dt.timedelta(hours=2, minutes=50),))
        assert detections.extent(conn)[1] == T0 + dt.timedelta(hours=2, minutes=59)
        deleted = demo.rewind(conn, cut, T0)
        conn.commit()
        extent = detections.extent(conn)
        hours = [r[0] for r in conn.execute("SELECT DISTINCT bucket FROM detections_hex_hour ORDER BY 1")]
        previews = conn.execute("SELECT count(*) FROM detections_camera_latest").fetchone()[0]
        cursor = conn.execute("SELECT done_until FROM hexops_rollup_cursors").fetchone()[0]
    # The alert jobs step no further than the extent: it ends where the kept detections end.
    assert extent == (T0, cut - dt.timedelta(minutes=1))
    assert deleted["detections_camera_latest"] == 1 and previews == 0
    # The hour holding the cut is rolled up again once the replay has brought it.
    assert hours == [T0] and cursor == T0 + dt.timedelta(hours=1)
