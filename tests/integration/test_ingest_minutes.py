"""The minute buffer on a real nats-server and PostGIS: rows written once, held minutes visible, never twice.

A worker holds the batches of a minute until it is over, then writes them
in one transaction; meanwhile each camera's latest held minute is in the
live preview, which readers add to the committed rows only while the
(camera, minute) has none.  These tests publish a city at 1 Hz and check
the aggregates against the events themselves, before and after the writes.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pandas as pd
import psycopg
import pytest

from hexops.geodata import crowd
from hexops.geodata.ingest_synthetic import copy_cameras
from hexops.ingest.loadgen import StreamSpec, ground_truth_camera_minute, stream_frames, synthetic_cameras
from hexops.ingest.publish import frame_batches
from hexops.ingest.stream import publish_batches
from hexops.ingest.worker import Worker
from tests.fixtures.ingest import wait_for_jetstream

START = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=20)).replace(second=0, microsecond=0)


def _city(url: str, n: int = 40) -> pd.DataFrame:
    cameras = synthetic_cameras(n, seed=5)
    cameras["district"] = [("YTM", "CW")[i % 2] for i in range(n)]
    with psycopg.connect(url) as conn:
        copy_cameras(conn, cameras)
    return cameras


def _batches(cameras: pd.DataFrame, frames: list[pd.DataFrame]) -> list:
    by_id = cameras.set_index("camera_id")
    out = []
    for frame in frames:
        meta = by_id.loc[frame["camera_id"]]
        out.extend(frame_batches(frame, meta["owner_code"].to_numpy(), meta["district"].to_numpy(), 40))
    return out


def _people_s_by_camera(url: str, at: dt.datetime, window: dt.timedelta) -> pd.Series:
    with psycopg.connect(url) as conn:
        latest = crowd.latest_camera_counts(conn, at, window)
    return (latest["people"] * latest["covered_s"]).sort_index()


def _truth(frames: list[pd.DataFrame]) -> pd.Series:
    return ground_truth_camera_minute(frames).groupby("camera_id")["people_s"].sum().sort_index()


@pytest.mark.timeout(150)
def test_a_worker_writes_each_camera_minute_about_once_and_counts_every_event_once(db_url, nats_nodes):
    server = nats_nodes.start_single()
    wait_for_jetstream([server])
    cameras = _city(db_url)
    frames = list(stream_frames(cameras, StreamSpec(START, seconds=180, period_s=1)))
    asyncio.run(publish_batches([server], _batches(cameras, frames)))
    worker = Worker([server], db_url, fetch_batch=16, flush_s=0.2, hold_s=60.0, ack_wait_s=150.0,
                    log=lambda _t: None)
    stats = asyncio.run(worker.run(idle_exit_s=3.0))
    truth = ground_truth_camera_minute(frames)
    with psycopg.connect(db_url) as conn:
        got = pd.DataFrame(conn.execute(
            "SELECT camera_id, minute, n_events, people_s FROM detections_camera_minute ORDER BY 1, 2").fetchall(),
            columns=["camera_id", "minute", "n_events", "people_s"])
        keys = conn.execute("SELECT count(*), sum(cardinality(keys)) FROM ingest_event_keys").fetchone()
    assert len(got) == len(truth) == 3 * len(cameras)
    assert got["n_events"].tolist() == truth.sort_values(["camera_id", "minute"])["n_events"].tolist()
    assert got["people_s"].sum() == pytest.approx(truth["people_s"].sum())
    assert stats.accepted == len(frames) * len(cameras) and stats.duplicates == 0
    # 60 events a camera-minute, yet each row (and its one key row) written about once: a fetch
    # that straddles a minute's end adds a second write to a few rows, never sixty.
    assert stats.camera_minute_writes <= 1.25 * len(truth)
    assert keys == (len(truth), len(frames) * len(cameras))


@pytest.mark.timeout(150)
def test_a_held_minute_is_read_from_the_preview_and_counted_once_after_it_is_written(db_url, nats_nodes):
    server = nats_nodes.start_single()
    wait_for_jetstream([server])
    cameras = _city(db_url)
    # Forty seconds of a minute: the worker holds them (the minute is not over).
    frames = list(stream_frames(cameras, StreamSpec(START, seconds=40, period_s=1)))
    asyncio.run(publish_batches([server], _batches(cameras, frames)))
    at, window = START + dt.timedelta(minutes=1), dt.timedelta(minutes=5)

    async def scenario():
        stop = asyncio.Event()
        worker = Worker([server], db_url, fetch_batch=16, flush_s=0.2, hold_s=60.0, ack_wait_s=150.0,
                        log=lambda _t: None)
        task = asyncio.create_task(worker.run(stop=stop))
        held = None
        for _ in range(300):
            await asyncio.sleep(0.1)
            seen = await asyncio.to_thread(_people_s_by_camera, db_url, at, window)
            if len(seen) == len(cameras) and seen.sum() == pytest.approx(_truth(frames).sum()):
                held = seen
                break
        with psycopg.connect(db_url) as conn:
            committed = conn.execute("SELECT count(*) FROM detections_camera_minute").fetchone()[0]
            extent = crowd.detection_time_range(conn)
        stop.set()
        await task
        return held, committed, extent

    held, committed, extent = asyncio.run(scenario())
    assert held is not None, "the held minute never showed in the preview"
    assert committed == 0  # what was read came from the preview alone
    assert extent == (START, START + dt.timedelta(minutes=1))
    pd.testing.assert_series_equal(held, _truth(frames), check_names=False)
    # Written now, and the preview rows of the same minutes no longer count.
    after = _people_s_by_camera(db_url, at, window)
    pd.testing.assert_series_equal(after, _truth(frames), check_names=False)
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM detections_camera_minute").fetchone()[0] == len(cameras)
        assert conn.execute("SELECT count(*) FROM detections_camera_latest").fetchone()[0] == len(cameras)


@pytest.mark.timeout(150)
def test_a_worker_judges_events_against_the_product_clock_it_is_given(db_url, nats_nodes):
    from hexops.ingest.validate import IngestPolicy

    server = nats_nodes.start_single()
    wait_for_jetstream([server])
    cameras = _city(db_url)
    # A replay's scenario: two days ago by the wall clock, far beyond the late-event window.
    scenario_start = START - dt.timedelta(days=2)
    assert dt.datetime.now(dt.timezone.utc) - scenario_start > dt.timedelta(seconds=IngestPolicy().max_late_s)
    frames = list(stream_frames(cameras, StreamSpec(scenario_start, seconds=60, period_s=1)))
    asyncio.run(publish_batches([server], _batches(cameras, frames)))
    scenario_now = scenario_start + dt.timedelta(minutes=2)
    worker = Worker([server], db_url, fetch_batch=16, flush_s=0.2, hold_s=60.0, ack_wait_s=150.0,
                    log=lambda _t: None, now=lambda: scenario_now)
    stats = asyncio.run(worker.run(idle_exit_s=3.0))
    assert stats.rejected == 0
    assert stats.accepted == len(frames) * len(cameras)
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM detections_camera_minute").fetchone()[0] == len(cameras)
