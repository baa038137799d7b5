"""JetStream ingestion on real nats-server processes, with faults.

Every test ends by comparing the aggregates with the ground truth computed
from the events themselves: exactly equal, nothing valid in quarantine.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from hexops.geodata.ingest_synthetic import copy_cameras
from hexops.ingest.loadgen import StreamSpec, ground_truth_camera_minute, stream_frames, synthetic_cameras
from hexops.ingest.publish import frame_batches
from hexops.ingest.stream import publish_batches
from hexops.ingest.worker import Worker
from tests.fixtures.ingest import wait_for_jetstream

START = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=30)).replace(second=0, microsecond=0)


def _city(url: str, n: int = 60) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    cameras = synthetic_cameras(n, seed=3)
    # Three districts keep the number of (owner, district) subjects, and so of messages, small.
    cameras["district"] = [("YTM", "CW", "SSP")[i % 3] for i in range(n)]
    with psycopg.connect(url) as conn:
        copy_cameras(conn, cameras)
    # Two and a half minutes: workers write whole minutes, so a kill can fall between them.
    frames = list(stream_frames(cameras, StreamSpec(START, seconds=150, period_s=5)))
    return cameras, frames


def _batches(cameras: pd.DataFrame, frames: list[pd.DataFrame], batch_events: int = 50) -> list:
    out = []
    by_id = cameras.set_index("camera_id")
    for frame in frames:
        meta = by_id.loc[frame["camera_id"]]
        out.extend(frame_batches(frame, meta["owner_code"].to_numpy(), meta["district"].to_numpy(), batch_events))
    return out


def _assert_exact(url: str, frames: list[pd.DataFrame]) -> None:
    truth = ground_truth_camera_minute(frames).sort_values(["camera_id", "minute"]).reset_index(drop=True)
    with psycopg.connect(url) as conn:
        got = pd.DataFrame(conn.execute(
            "SELECT camera_id, minute, n_events, people_s FROM detections_camera_minute ORDER BY 1, 2"
        ).fetchall(), columns=["camera_id", "minute", "n_events", "people_s"])
        (quarantined,), = conn.execute("SELECT count(*) FROM ingest_quarantine").fetchall()
        (hex_people,), = conn.execute(
            "SELECT sum(people_s) FROM detections_hex_5min WHERE resolution = 9").fetchall()
    assert quarantined == 0
    assert len(got) == len(truth)
    assert (got["camera_id"] == truth["camera_id"]).all()
    assert (got["minute"] == truth["minute"]).all()
    assert (got["n_events"].to_numpy() == truth["n_events"].to_numpy()).all()
    assert got["people_s"].tolist() == pytest.approx(truth["people_s"].tolist())
    assert hex_people == pytest.approx(truth["people_s"].sum())


def _events_in(url: str) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT coalesce(sum(n_events), 0) FROM detections_camera_minute").fetchone()[0])


async def _workers(servers, url, n, idle_exit_s: float = 3.0, **kwargs):
    workers = [Worker(servers, url, log=lambda _t: None, **kwargs) for _ in range(n)]
    return await asyncio.gather(*(w.run(idle_exit_s=idle_exit_s) for w in workers))


async def _district_workers(servers, url, district_sets, **kwargs):
    workers = [Worker(servers, url, log=lambda _t: None,
                      subjects=[f"hexops.detections.*.{d}" for d in districts], **kwargs)
               for districts in district_sets]
    return await asyncio.gather(*(w.run(idle_exit_s=3.0) for w in workers))


@pytest.mark.timeout(120)
def test_two_workers_on_disjoint_districts_share_the_stream_and_a_republished_batch_counts_once(
        db_url, nats_nodes):
    server = nats_nodes.start_single()
    wait_for_jetstream([server])
    cameras, frames = _city(db_url)
    batches = _batches(cameras, frames)
    asyncio.run(publish_batches([server], batches + batches[:5]))
    stats = asyncio.run(_district_workers([server], db_url, [("YTM", "CW"), ("SSP",)], fetch_batch=8))
    assert all(s.batches > 0 for s in stats)
    assert sum(s.batches for s in stats) == len(batches)  # JetStream dropped the 5 repeats
    _assert_exact(db_url, frames)


def _worker_process(server: str, url: str, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, HEXOPS_DATABASE_URL=url)
    return subprocess.Popen(
        [sys.executable, "-c", "from hexops.cli import main; main()", "ingest", "worker", "--nats", server,
         "--ack-wait", "4", "--hold-s", "2", "--fetch-batch", "2", *extra],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


@pytest.mark.timeout(150)
def test_a_worker_killed_mid_stream_loses_nothing_and_counts_nothing_twice(db_url, nats_nodes):
    server = nats_nodes.start_single()
    wait_for_jetstream([server])
    cameras, frames = _city(db_url)
    asyncio.run(publish_batches([server], _batches(cameras, frames, batch_events=20)))
    total = sum(len(f) for f in frames)
    victim = _worker_process(server, db_url)
    deadline = time.monotonic() + 60
    while _events_in(db_url) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    assert _events_in(db_url) < total  # it died holding a minute it had not written
    # Its held batches come back after its ack wait (4 s); a duplicate of a written one counts once.
    asyncio.run(_workers([server], db_url, 1, ack_wait_s=2.0, fetch_batch=16, idle_exit_s=8.0))
    _assert_exact(db_url, frames)


@pytest.mark.timeout(180)
def test_a_postgres_restart_during_ingestion_loses_nothing(nats_nodes, template_db_url):
    from hexops.geodata import migrate
    from hexops.geodata.cluster import PrivateCluster

    cluster = PrivateCluster(Path(tempfile.mkdtemp(prefix="hexops-restart-")) / "pg", throwaway=True)
    url = cluster.start()
    try:
        migrate.apply_all(url)
        server = nats_nodes.start_single()
        wait_for_jetstream([server])
        cameras, frames = _city(url)
        asyncio.run(publish_batches([server], _batches(cameras, frames, batch_events=20)))
        done = threading.Event()
        result = {}

        def consume():
            try:
                worker = Worker([server], url, fetch_batch=4, ack_wait_s=5.0, log=lambda _t: None)
                result["stats"] = asyncio.run(worker.run(idle_exit_s=3.0))
            finally:
                done.set()

        thread = threading.Thread(target=consume, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while _events_in(url) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        cluster.stop(mode="immediate")
        cluster.start()
        assert done.wait(timeout=120)
        _assert_exact(url, frames)
    finally:
        cluster.destroy()


@pytest.mark.timeout(180)
def test_a_three_node_cluster_losing_a_node_keeps_the_replicated_stream_whole(db_url, nats_nodes):
    servers = nats_nodes.start_cluster(3)
    wait_for_jetstream(servers)
    cameras, frames = _city(db_url)
    batches = _batches(cameras, frames, batch_events=20)
    half = len(batches) // 2
    asyncio.run(publish_batches(servers, batches[:half], replicas=3))

    total = sum(len(f) for f in frames)

    async def consume_while_failing():
        stop = asyncio.Event()
        worker = Worker(servers, db_url, fetch_batch=8, ack_wait_s=3.0, log=lambda _t: None)
        task = asyncio.create_task(worker.run(stop=stop))
        await asyncio.sleep(0.5)
        nats_nodes.kill("n1")
        await publish_batches(servers[1:], batches[half:], replicas=3)
        deadline = time.monotonic() + 90
        while await asyncio.to_thread(_events_in, db_url) < total and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # let any redelivery arrive: it must count as a duplicate
        stop.set()
        return await task

    asyncio.run(consume_while_failing())
    _assert_exact(db_url, frames)


@pytest.mark.timeout(120)
def test_a_batch_on_one_departments_subject_naming_anothers_cameras_is_rejected(db_url, nats_nodes):
    """An outside probe published forged 'flooded' events for police cameras on an open broker.

    Whoever may publish on a department's subjects writes no other department's
    cameras: each event is checked against the owner token of its subject.
    """
    server = nats_nodes.start_single()
    wait_for_jetstream([server])
    cameras, frames = _city(db_url)
    honest = _batches(cameras, frames[:1])
    owners = {subject.split(".")[2] for subject, _, _ in honest}
    victim = next(iter(sorted(owners)))
    forger = next(o for o in ("DSD", "HyD", "TD") if o != victim)
    forged = [(subject.replace(f".{victim}.", f".{forger}.", 1), body, batch_id + "-forged")
              for subject, body, batch_id in honest if subject.split(".")[2] == victim]
    asyncio.run(publish_batches([server], forged))
    asyncio.run(_workers([server], db_url, 1))
    with psycopg.connect(db_url) as conn:
        written = conn.execute("SELECT count(*) FROM detections_camera_minute").fetchone()[0]
        reasons = [r[0] for r in conn.execute("SELECT reason FROM ingest_quarantine").fetchall()]
    forged_events = sum(len(__import__("json").loads(body)["events"]) for _, body, _ in forged)
    assert written == 0 and len(reasons) == forged_events > 0
    assert all("not owned by the department its batch was published for" in r for r in reasons)
    # The same batches on their own department's subject are written.
    asyncio.run(publish_batches([server], honest))
    asyncio.run(_workers([server], db_url, 1))
    assert _events_in(db_url) == sum(len(f) for f in frames[:1])
