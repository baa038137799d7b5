"""The write path of bench.scale: a live 60,000-camera stream, the minute buffer beside today's path.

On a durable PostgreSQL cluster (fsync, full-page writes, ``wal_level =
replica`` as a deployment with replicas runs) and a fresh nats-server per
run, the synthetic city (every camera a 1 s window every second) is
published live for ``seconds`` seconds to two worker processes on disjoint
districts, twice, each time into a fresh database:

- ``combined``: the workers as they now run (batches held until their minute
  is over, each camera-minute written about once, the live preview every
  second);
- ``today``: the same workers writing every fetch at once (``--hold-s 0``),
  the path before the minute buffer.

For each: events accepted, events per second of stream, publish-to-visible
(freshness) and publish-to-durable latencies, and WAL bytes per event
(``pg_current_wal_lsn`` before and after, the run starting just after a
checkpoint; the day's partitions exist beforehand).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import time
from pathlib import Path

import psycopg

from bench import ingest as bench_ingest
from hexops.geodata import detections, migrate
from hexops.geodata.cluster import PrivateCluster
from hexops.geodata.ingest_synthetic import copy_cameras
from hexops.ingest.loadgen import synthetic_cameras

#: Durable settings plus what a primary feeding replicas runs; room for today's path's WAL.
STREAM_SETTINGS = {"wal_level": "replica", "max_wal_senders": "4", "max_wal_size": "'12GB'",
                   "checkpoint_timeout": "'30min'"}
MODES = {"combined": (), "today": ("--hold-s", "0")}


def _database(cluster: PrivateCluster, name: str, cameras, days: list[dt.date]) -> str:
    url = cluster.create_database(name)
    migrate.apply_all(url)
    with psycopg.connect(url) as conn:
        copy_cameras(conn, cameras)
        for table in ("detections_camera_minute", "detections_hex_5min", "ingest_event_keys", "ingest_quarantine"):
            detections.ensure_partitions(conn, table, days)
        conn.commit()
    return url


def _wal_lsn(url: str, checkpoint: bool = False) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        if checkpoint:
            conn.execute("CHECKPOINT")
        return conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]


def _wal_bytes(url: str, since: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return int(conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn)", (since,)).fetchone()[0])


def _row_writes(url: str) -> dict:
    """Inserted and updated rows (and the share of HOT updates) of the camera-minute and key tables."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT sum(n_tup_ins), sum(n_tup_upd), sum(n_tup_hot_upd) FROM pg_stat_user_tables "
            "WHERE relname LIKE 'detections_camera_minute_p%' OR relname LIKE 'ingest_event_keys_p%'"
        ).fetchone()
    ins, upd, hot = (int(x or 0) for x in rows)
    return {"row_inserts": ins, "row_updates": upd, "hot_update_share": round(hot / upd, 3) if upd else None}


def run_stream(root: Path, n_cameras: int, seconds: int, fetch_batch: int = 64, say=print) -> dict:
    """Both modes (see the module docstring); returns ``{"combined": {...}, "today": {...}}`` and the run's load."""
    cluster = PrivateCluster(root / "pg-stream")
    cluster.init()
    with open(cluster.data_dir / "postgresql.conf", "a", encoding="utf-8") as fh:
        fh.write("\n# bench.scale stream\n" + "\n".join(f"{k} = {v}" for k, v in STREAM_SETTINGS.items()) + "\n")
    cluster.start()
    cameras = synthetic_cameras(n_cameras)
    # Windows planned a little ahead of the wall clock (preparing 60 s of the city takes about 30 s here).
    start = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds + 60)).replace(microsecond=0)
    days = sorted({(start + dt.timedelta(seconds=s)).date() for s in (0, seconds + 120)})
    out: dict = {"cameras": n_cameras, "seconds": seconds, "rate_events_per_s": n_cameras}
    try:
        urls = {mode: _database(cluster, f"stream_{mode}", cameras, days) for mode in MODES}
        planned = bench_ingest._bodies(cameras, start, seconds, "stream bodies")
        out["load_average_at_start"] = os.getloadavg()[0]
        for k, (mode, extra) in enumerate(MODES.items()):
            stats = root / f"stats-{mode}"
            stats.mkdir()
            nats_root = root / f"nats-{mode}"
            nats_proc, server = bench_ingest._start_nats(nats_root)
            url = urls[mode]
            super_url = cluster.url(f"stream_{mode}", role="super")
            try:
                since = _wal_lsn(super_url, checkpoint=True)
                procs = bench_ingest._workers(2, server, url, stats, mode, fetch_batch, extra)
                # The same planned seconds each time: publishing follows the wall clock from now.
                begin = max(start, dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(seconds=2))
                t0 = begin.timestamp() + 1  # the first second's batches go out once it has ended
                try:
                    asyncio.run(bench_ingest.publish_live(server, planned, begin))
                    published = time.time()
                    say(f"  stream {mode}: published in {published - t0:.1f} s; waiting for the last commits")
                    bench_ingest.wait_committed(stats, mode, seconds * n_cameras, timeout_s=240)
                    durable = time.time()
                finally:
                    bench_ingest._stop(procs)
                wal = _wal_bytes(super_url, since)
            finally:
                nats_proc.terminate()
                nats_proc.wait(timeout=10)
                shutil.rmtree(nats_root, ignore_errors=True)
            figures = bench_ingest.freshness(stats, mode)
            accepted = figures["freshness_events_committed"]
            rows = bench_ingest._stats(stats, mode)
            visible_rows = [r for r in rows if r.get("kind") == "preview"] or rows
            last_visible = max(r["committed"] for r in visible_rows)
            out[mode] = figures | _row_writes(url) | {
                "events_accepted": accepted,
                # Events per second from the first publish until the last batch was visible to readers.
                "events_per_s": round(accepted / max(last_visible - t0, 1e-9)),
                "all_durable_after_last_publish_s": round(durable - published, 1),
                "wal_bytes": wal,
                "wal_bytes_per_event": round(wal / max(accepted, 1), 1),
            }
            say(f"  stream {mode}: {out[mode]}")
        out["load_average_at_end"] = os.getloadavg()[0]
    finally:
        cluster.destroy()
    return out
