"""Benchmark: ingest a 60,000-camera city end to end (``make bench-ingest``).

In one run, on a throwaway PostGIS cluster and a throwaway nats-server:

1. in-process: parse gateway batches (JSON), validate, de-duplicate,
   aggregate, commit (queryable) -- ``embedded_events_per_s``;
2. JetStream with 1 and then 2 worker processes draining a pre-published
   stream -- ``jetstream_1_worker_events_per_s``, ``jetstream_2_workers_events_per_s``;
3. freshness: the city published in real time (every camera once a second)
   with 2 workers running; publish-to-commit latency per batch, p50/p95;
4. the naive path (one INSERT per event) on a sample, as a rate: doing the
   same job row by row, and a flattering camera-minute-only variant.

The cluster keeps PostgreSQL's durable defaults (fsync, synchronous
commit), as a deployment would.  Writes bench/out/ingest.json and prints it.  Figures on a shared 2-core
machine are noisy; the naive path runs in the same process and minute.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import psycopg
from tqdm import tqdm

from bench import ingest_naive
from hexops.geodata import migrate
from hexops.geodata.cluster import PrivateCluster, free_port
from hexops.geodata.ingest_synthetic import copy_cameras
from hexops.ingest.core import ingest_pipelined
from hexops.ingest.loadgen import DISTRICTS, StreamSpec, gateway_bodies, stream_frames, synthetic_cameras
from hexops.ingest.schema import parse_batch, parse_many
from hexops.ingest.stream import PUBLISHED_AT, ensure_stream, publish_batches

OUT = Path(__file__).resolve().parent / "out" / "ingest.json"
NATS_SERVER = "/usr/sbin/nats-server"


def _bodies(cameras: pd.DataFrame, start: dt.datetime, seconds: int, desc: str) -> list[list[tuple]]:
    """Gateway batches per second of stream (every camera once a second)."""
    owners = cameras["owner_code"].to_numpy()
    districts = cameras["district"].to_numpy()
    out = []
    for frame in tqdm(stream_frames(cameras, StreamSpec(start, seconds, 1)), total=seconds, desc=desc,
                      unit="s"):
        out.append(gateway_bodies(frame, owners, districts))
    return out


def _events_in(url: str) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT coalesce(sum(n_events), 0) FROM detections_camera_minute").fetchone()[0])


def _parse_group(bodies: list[bytes]) -> pd.DataFrame:
    frame = parse_many(bodies)
    return frame if frame is not None else pd.concat([parse_batch(b)[1] for b in bodies], ignore_index=True)


def bench_embedded(url: str, seconds_of_bodies: list[list[tuple]], flush_s: int) -> float:
    """Events/s of parse + validate + aggregate + commit, ``flush_s`` seconds of stream per transaction.

    The pipelined path: the next flush is parsed and prepared while the
    database writes the current one.  The first flush warms caches and is
    not timed.
    """
    conn = psycopg.connect(url)
    groups = [[b for sec in seconds_of_bodies[i:i + flush_s] for _, b, _ in sec]
              for i in range(0, len(seconds_of_bodies), flush_s)]
    for _ in ingest_pipelined(conn, [(1, groups[0])], source="bench:warm", to_frame=_parse_group):
        pass
    n = 0
    t0 = time.perf_counter()
    items = [(1, g) for g in groups[1:]]
    for report in tqdm(ingest_pipelined(conn, items, source="bench:embedded", to_frame=_parse_group),
                       total=len(items), desc="embedded", unit="flush"):
        n += report.accepted
    elapsed = time.perf_counter() - t0
    conn.close()
    return n / elapsed


def _start_nats(root: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    store = root / "nats"
    store.mkdir(parents=True, exist_ok=True)
    config = root / "nats.conf"
    config.write_text(f'listen: 127.0.0.1:{port}\nmax_payload: 4194304\njetstream {{ store_dir: "{store}" }}\n')
    proc = subprocess.Popen([NATS_SERVER, "-c", str(config)], stdout=subprocess.DEVNULL,
                            stderr=open(root / "nats.log", "ab"))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nats-server exited; see {root / 'nats.log'}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"nats://127.0.0.1:{port}"
        time.sleep(0.1)
    raise RuntimeError("nats-server did not start listening")


def _workers(n: int, server: str, url: str, stats_dir: Path, label: str, fetch_batch: int,
             extra: tuple[str, ...] = ()) -> list:
    """Worker processes, the districts' subjects dealt out between them (``extra``: more CLI options).

    One durable consumer per district filter (the same names in every run,
    as a work-queue stream refuses overlapping consumers); workers with
    disjoint districts never wait on each other's row locks.
    """
    env = dict(os.environ, HEXOPS_DATABASE_URL=url)
    procs = []
    for i in range(n):
        subjects = ",".join(f"hexops.detections.*.{d}" for d in DISTRICTS[i::n])
        procs.append(subprocess.Popen(
            [sys.executable, "-c", "from hexops.cli import main; main()", "ingest", "worker", "--nats", server,
             "--subjects", subjects, "--fetch-batch", str(fetch_batch),
             "--stats-file", str(stats_dir / f"{label}-{i}.jsonl"), *extra],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return procs


def _stop(procs: list) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _stats(stats_dir: Path, label: str) -> list[dict]:
    rows = []
    for path in stats_dir.glob(f"{label}-*.jsonl"):
        rows.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return sorted(rows, key=lambda r: r["committed"])


def bench_jetstream(url: str, server: str, seconds_of_bodies, n_workers: int, stats_dir: Path,
                    fetch_batch: int) -> float:
    """Events/s of ``n_workers`` draining a pre-published stream (first commit to last)."""
    batches = [b for sec in seconds_of_bodies for b in sec]
    total = int(sum(b.count(b'"event_id"') for _, b, _ in batches))
    before = _events_in(url)
    asyncio.run(publish_batches([server], batches))
    label = f"bench-{n_workers}"
    # A finite backlog's last minute never ends by event time: let it go after 2 s rather than
    # the 75 s a live worker would wait, so the drain time is the workers', not the hold's.
    procs = _workers(n_workers, server, url, stats_dir, label, fetch_batch, ("--hold-s", "2"))
    try:
        with tqdm(total=total, desc=f"jetstream x{n_workers}", unit="ev") as bar:
            done = 0
            while done < total:
                time.sleep(0.5)
                now_done = _events_in(url) - before
                bar.update(now_done - done)
                done = now_done
    finally:
        _stop(procs)
    rows = _stats(stats_dir, label)
    first, last = rows[0], rows[-1]
    events_after_first = sum(r["accepted"] for r in rows) - first["accepted"]
    return events_after_first / (last["committed"] - first["committed"])


async def publish_live(server: str, planned: list[list[tuple]], start: dt.datetime) -> None:
    """Publish each second's gateway batches once that second's windows have closed (wall clock)."""
    import nats

    nc = await nats.connect(servers=[server])
    js = nc.jetstream(timeout=30)
    await ensure_stream(js)
    for i, second in enumerate(tqdm(planned, desc="publishing live", unit="s")):
        due = start.timestamp() + i + 1  # a gateway sends once its window has closed
        await asyncio.sleep(max(0.0, due - time.time()))
        await asyncio.gather(*(js.publish(subject, body, headers={
            "Nats-Msg-Id": batch_id, PUBLISHED_AT: repr(time.time())}) for subject, body, batch_id in second))
    await nc.close()


def bench_freshness(url: str, server: str, cameras: pd.DataFrame, seconds: int, n_workers: int,
                    stats_dir: Path, fetch_batch: int, extra: tuple[str, ...] = ()) -> dict:
    """Publish the city in real time; publish-to-commit latency of every batch."""
    # Windows are planned ahead of the wall clock by more than it takes to
    # prepare them, so publishing can follow the clock exactly.
    start = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds * 4 + 20)).replace(microsecond=0)
    planned = _bodies(cameras, start, seconds, "freshness stream")
    label = "bench-fresh"
    procs = _workers(n_workers, server, url, stats_dir, label, fetch_batch, extra)
    try:
        asyncio.run(publish_live(server, planned, start))
        wait_committed(stats_dir, label, seconds * len(cameras), timeout_s=180)
    finally:
        _stop(procs)
    return freshness(stats_dir, label) | {"freshness_rate_events_per_s": len(cameras)}


def wait_committed(stats_dir: Path, label: str, expected: int, timeout_s: float) -> None:
    """Until the workers' stats files account for ``expected`` accepted events (or the timeout)."""
    deadline = time.time() + timeout_s
    while sum(r["accepted"] for r in _stats(stats_dir, label)) < expected and time.time() < deadline:
        time.sleep(0.5)


def freshness(stats_dir: Path, label: str) -> dict:
    """Publish-to-visible and publish-to-durable latencies of the batches (see :mod:`hexops.ingest.worker`).

    A batch is visible when the live preview holding it commits (or, for a
    worker writing every fetch at once, when its fetch commits) and durable
    when the transaction that wrote it through the ingestion core commits.
    """
    rows = _stats(stats_dir, label)
    durable = np.asarray([x for r in rows for x in r.get("latencies_s", [])])
    visible = np.asarray([x for r in rows for x in r.get("visible_s", [])])
    if visible.size == 0:
        visible = durable
    return {
        "freshness_batches": int(durable.size),
        "freshness_batches_previewed": int(visible.size),
        "freshness_p50_s": round(float(np.percentile(visible, 50)), 3),
        "freshness_p95_s": round(float(np.percentile(visible, 95)), 3),
        "freshness_max_s": round(float(visible.max()), 3),
        "durable_p50_s": round(float(np.percentile(durable, 50)), 3),
        "durable_p95_s": round(float(np.percentile(durable, 95)), 3),
        "freshness_events_committed": int(sum(r["accepted"] for r in rows)),
    }


def _sample_events(seconds_of_bodies, sample: int) -> list[dict]:
    events: list[dict] = []
    for second in seconds_of_bodies:
        for _, body, _ in second:
            events.extend(orjson.loads(body)["events"])
            if len(events) >= sample:
                return events[:sample]
    return events


def bench_naive(url: str, seconds_of_bodies, sample: int) -> dict:
    """Events/s of one INSERT per event, on a fresh sample of the stream.

    ``naive_events_per_s``: the same job as the real path (key, camera-minute
    and hex rollups) in one statement per event, committed per event as a
    per-request handler would.  ``naive_minute_only_batched_events_per_s``:
    only the camera-minute upsert, committed every 1,000 events -- a
    flattering lower bar, reported too.
    """
    from hexops.ingest.core import event_keys

    events = _sample_events(seconds_of_bodies, 2 * sample)
    full, light = events[:sample], events[sample:]
    conn = psycopg.connect(url, autocommit=True)
    keys = event_keys(np.asarray([e["event_id"] for e in full], dtype=object))
    t0 = time.perf_counter()
    for e, key in zip(tqdm(full, desc="naive (same job)", unit="ev"), keys.tolist()):
        start = dt.datetime.fromisoformat(e["window_start"])
        end = dt.datetime.fromisoformat(e["window_end"])
        minute = start.replace(second=0, microsecond=0)
        bucket = minute.replace(minute=minute.minute - minute.minute % 5)
        ingest_naive.ingest_event_row_by_row(
            conn, e["camera_id"], minute, bucket, key, (end - start).total_seconds(), e["people"],
            e["vehicles"], e["water"]["state"] == "wet", e["water"]["state"] == "flooded",
            e["water"]["confidence"], e["saturated"])
    same_job = len(full) / (time.perf_counter() - t0)
    conn.close()
    conn = psycopg.connect(url)
    t0 = time.perf_counter()
    for i, e in enumerate(tqdm(light, desc="naive (minute only)", unit="ev")):
        start = dt.datetime.fromisoformat(e["window_start"])
        end = dt.datetime.fromisoformat(e["window_end"])
        ingest_naive.upsert_event(
            conn, e["camera_id"], start.replace(second=0), (end - start).total_seconds(), e["people"],
            e["vehicles"], e["water"]["state"] == "wet", e["water"]["state"] == "flooded",
            e["water"]["confidence"], e["saturated"])
        if i % 1000 == 999:
            conn.commit()
    conn.commit()
    minute_only = len(light) / (time.perf_counter() - t0)
    conn.close()
    return {"naive_events_per_s": round(same_job, 1),
            "naive_minute_only_batched_events_per_s": round(minute_only, 1)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=60_000)
    parser.add_argument("--seconds", type=int, default=20, help="Seconds of city stream timed in-process.")
    parser.add_argument("--jetstream-seconds", type=int, default=10,
                        help="Seconds of city stream drained by the JetStream workers.")
    parser.add_argument("--flush-seconds", type=int, default=10,
                        help="Seconds of stream per in-process commit.")
    parser.add_argument("--fetch-batch", type=int, default=128, help="Gateway batches per worker commit.")
    parser.add_argument("--freshness-seconds", type=int, default=15)
    parser.add_argument("--freshness-fetch-batch", type=int, default=64,
                        help="Gateway batches per worker commit in the live run (smaller: fresher).")
    parser.add_argument("--freshness-cameras", type=int, default=None,
                        help="Cameras in the live stream (default: all; each reports once a second).")
    parser.add_argument("--naive-sample", type=int, default=5_000)
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="hexops-bench-ingest-"))
    # Durable settings (fsync, synchronous commit), as in production: a
    # throwaway cluster would flatter the naive path's per-event commits.
    cluster = PrivateCluster(root / "pg")
    url = cluster.start()
    nats_proc = None
    try:
        migrate.apply_all(url)
        cameras = synthetic_cameras(args.cameras)
        with psycopg.connect(url) as conn:
            copy_cameras(conn, cameras)
        now = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
        results: dict = {"cameras": args.cameras, "stream_rate_events_per_s": args.cameras,
                         "embedded_seconds_of_stream": args.seconds, "flush_seconds": args.flush_seconds,
                         "jetstream_seconds_of_stream": args.jetstream_seconds, "cpu_count": os.cpu_count(),
                         "load_average_at_start": os.getloadavg()[0]}
        embedded_bodies = _bodies(cameras, now - dt.timedelta(hours=1), args.seconds + args.flush_seconds,
                                  "stream (embedded)")
        results["embedded_events_per_s"] = round(bench_embedded(url, embedded_bodies, args.flush_seconds))
        naive_bodies = _bodies(cameras, now - dt.timedelta(hours=4), 1, "stream (naive)")
        results.update(bench_naive(url, naive_bodies, args.naive_sample))
        del embedded_bodies
        nats_proc, server = _start_nats(root)
        for n_workers, key, offset in ((1, "jetstream_1_worker_events_per_s", 2),
                                       (2, "jetstream_2_workers_events_per_s", 3)):
            bodies = _bodies(cameras, now - dt.timedelta(hours=offset), args.jetstream_seconds,
                             f"stream (x{n_workers})")
            results[key] = round(bench_jetstream(url, server, bodies, n_workers, root, args.fetch_batch))
            del bodies
        live = cameras.iloc[:args.freshness_cameras] if args.freshness_cameras else cameras
        results.update(bench_freshness(url, server, live, args.freshness_seconds, 2, root,
                                       args.freshness_fetch_batch))
        results["freshness_fetch_batch"] = args.freshness_fetch_batch
        results["throughput_fetch_batch"] = args.fetch_batch
        results["speedup_vs_naive"] = round(results["embedded_events_per_s"] / results["naive_events_per_s"], 1)
        results["speedup_vs_naive_minute_only"] = round(
            results["embedded_events_per_s"] / results["naive_minute_only_batched_events_per_s"], 1)
        results["load_average_at_end"] = os.getloadavg()[0]
        results["targets"] = {"embedded_events_per_s": 120_000, "speedup_vs_naive": 20, "freshness_p95_s": 5.0}
    finally:
        if nats_proc is not None:
            nats_proc.terminate()
            nats_proc.wait(timeout=10)
        cluster.destroy()
        shutil.rmtree(root, ignore_errors=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
