"""NATS JetStream: the durable stream of detection batches, a publisher and the ingest worker.

- One stream, ``HEXOPS_DETECTIONS``, on subjects ``hexops.detections.<owner>.<district>``
  (work-queue retention: a batch leaves the stream once a worker acks it).
- Workers share one durable pull consumer: each fetches a handful of batches,
  ingests them in one transaction through :func:`ingest.core.ingest_events`,
  and acks only after the commit.  A worker killed before its commit leaves
  its batches unacked, and JetStream redelivers them after ``ack_wait``; one
  killed between commit and ack causes a redelivery that the idempotency keys
  turn into duplicates.  Either way nothing is lost or counted twice.
- Publishers set ``Nats-Msg-Id`` to the batch id, so JetStream drops a
  publish retried inside its duplicate window.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import nats
import pandas as pd
import psycopg
from nats.js import api
from nats.js.errors import NotFoundError

from hexops.geodata import detections
from hexops.ingest.core import IngestReport, ingest_events
from hexops.ingest.errors import BatchError
from hexops.ingest.schema import parse_batch, parse_many

STREAM = "HEXOPS_DETECTIONS"
SUBJECT_PREFIX = "hexops.detections"
DURABLE = "hexops-ingest"
PUBLISHED_AT = "Hexops-Published-At"


def subject_for(owner: str, district: str | None) -> str:
    """``hexops.detections.<owner>.<district>``; unusable characters become ``_``."""
    def token(text: str | None) -> str:
        return re.sub(r"[^A-Za-z0-9_-]", "_", text or "none") or "none"

    return f"{SUBJECT_PREFIX}.{token(owner)}.{token(district)}"


async def ensure_stream(js, *, replicas: int = 1, max_age_s: float = 7 * 86400.0,
                        patience_s: float = 60.0) -> api.StreamInfo:
    """Create the detections stream if it does not exist; return its info.

    Rides through a cluster's leader election (a node just lost): JetStream
    API requests time out until a new meta leader is chosen, so they are
    retried for up to ``patience_s`` seconds.
    """
    deadline = time.monotonic() + patience_s
    while True:
        try:
            return await _ensure_stream_once(js, replicas, max_age_s)
        except (nats.errors.TimeoutError, asyncio.TimeoutError, nats.errors.NoRespondersError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _ensure_stream_once(js, replicas: int, max_age_s: float) -> api.StreamInfo:
    try:
        return await js.stream_info(STREAM)
    except NotFoundError:
        return await js.add_stream(api.StreamConfig(
            name=STREAM,
            subjects=[f"{SUBJECT_PREFIX}.>"],
            retention=api.RetentionPolicy.WORK_QUEUE,
            storage=api.StorageType.FILE,
            num_replicas=replicas,
            duplicate_window=120.0,
            max_age=max_age_s,
        ))


async def publish_batches(servers: list[str], batches: Iterable[tuple[str, bytes, str]],
                          *, replicas: int = 1, timeout: float = 10.0) -> int:
    """Publish ``(subject, body, batch_id)`` batches, waiting for each stream ack; returns how many."""
    nc = await nats.connect(servers=servers, max_reconnect_attempts=-1, reconnect_time_wait=0.25)
    try:
        js = nc.jetstream(timeout=timeout)
        await ensure_stream(js, replicas=replicas)
        pending = []
        n = 0
        for subject, body, batch_id in batches:
            headers = {"Nats-Msg-Id": batch_id, PUBLISHED_AT: repr(time.time())}
            pending.append(asyncio.ensure_future(_publish_retrying(js, subject, body, headers, timeout)))
            n += 1
            if len(pending) >= 64:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
        return n
    finally:
        await nc.close()


async def _publish_retrying(js, subject: str, body: bytes, headers: dict, timeout: float) -> None:
    # A node can vanish mid-publish in a cluster; the same Nats-Msg-Id makes a retry safe.
    for attempt in range(20):
        try:
            await js.publish(subject, body, headers=headers, timeout=timeout)
            return
        except (nats.errors.TimeoutError, asyncio.TimeoutError, nats.js.errors.APIError,
                nats.errors.NoRespondersError):
            await asyncio.sleep(min(0.2 * (attempt + 1), 2.0))
    raise TimeoutError(f"{subject}: batch {headers['Nats-Msg-Id']} not acknowledged by the stream")


@dataclass
class WorkerStats:
    """What a worker has done so far."""

    batches: int = 0
    transactions: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0


class Worker:
    """One ingest worker: a durable pull consumer feeding ``ingest_events``.

    Parameters
    ----------
    servers : list of str
        NATS URLs (any node of a cluster).
    database_url : str
    durable : str
        Consumer name; workers with the same name share the load.
    subjects : str or list of str
        Filters, e.g. ``hexops.detections.HKPF.>`` for a pool of one owner's
        cameras, or several district filters (``hexops.detections.*.YTM``):
        one durable consumer per filter.  Workers on disjoint filters never
        write the same camera's rows, so they never wait on each other's
        row locks; workers on the same filter share its batches.
    fetch_batch : int
        Batches pulled per transaction.
    ack_wait_s : float
        Seconds before JetStream redelivers an unacked batch.
    stats_file : Path, optional
        Append one JSON line per commit (events, publish-to-commit latencies).
    now : callable, optional
        The product clock (``now() -> datetime``, UTC) the events' times are
        judged against; default wall-clock time.  A demo replay passes its
        scenario clock.
    """

    def __init__(self, servers: list[str], database_url: str, *, durable: str = DURABLE,
                 subjects: str | list[str] = f"{SUBJECT_PREFIX}.>", fetch_batch: int = 64, ack_wait_s: float = 30.0,
                 stats_file: Path | None = None, log=None, now=None):
        self.servers = servers
        self.database_url = database_url
        self.durable = durable
        self.subjects = [subjects] if isinstance(subjects, str) else list(subjects)
        self.fetch_batch = fetch_batch
        self.ack_wait_s = ack_wait_s
        self.stats_file = stats_file
        self.stats = WorkerStats()
        self._conn: psycopg.Connection | None = None
        self._log = log or (lambda text: print(text, file=sys.stderr, flush=True))
        self._now = now

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            # Acks follow commits, so a commit must be durable whatever the
            # server's default: a crash must not undo an acknowledged batch.
            self._conn = psycopg.connect(self.database_url, connect_timeout=5,
                                         options="-c synchronous_commit=on")
        return self._conn

    def _commit_batches(self, bodies: list[tuple[str, bytes]]) -> IngestReport:
        """Parse and ingest fetched batches in one transaction, retrying while the database is away."""
        broken = []
        frame = parse_many([body for _, body in bodies])
        if frame is None:
            frames = []
            for subject, body in bodies:
                try:
                    frames.append(parse_batch(body)[1])
                except BatchError as exc:
                    broken.append((subject, str(exc), body))
            frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        delay = 0.2
        while True:
            try:
                conn = self._connection()
                report = ingest_events(conn, frame, source=f"nats:{','.join(self.subjects)}",
                                       now=self._now() if self._now is not None else None)
                if broken:
                    self._quarantine_batches(conn, broken)
                conn.commit()
                return report
            except (psycopg.OperationalError, psycopg.errors.DeadlockDetected,
                    psycopg.errors.SerializationFailure) as exc:
                self._log(f"worker: database error, retrying in {delay:.1f} s: {exc}".strip())
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    @staticmethod
    def _quarantine_batches(conn: psycopg.Connection, broken: list[tuple[str, str, bytes]]) -> None:
        import datetime as dt

        now = dt.datetime.now(dt.timezone.utc)
        detections.ensure_partitions(conn, "ingest_quarantine", [now.date()])
        detections.quarantine(conn, received_at=now, source="nats", rows=(
            (None, None, None, f"batch on {subject}: {reason}",
             {"body": body[:10_000].decode("utf-8", "replace")})
            for subject, reason, body in broken))

    async def run(self, *, stop: asyncio.Event | None = None, idle_exit_s: float | None = None) -> WorkerStats:
        """Consume until ``stop`` is set (or nothing arrived for ``idle_exit_s`` seconds)."""
        stop = stop or asyncio.Event()
        nc = await nats.connect(servers=self.servers, max_reconnect_attempts=-1, reconnect_time_wait=0.25)
        try:
            js = nc.jetstream(timeout=10.0)
            subs = [await self._subscribe(js, subject) for subject in self.subjects]
            per_sub = max(1, self.fetch_batch // len(subs))
            # With several filters an empty one must not hold up the others for long.
            wait_s = 1.0 if len(subs) == 1 else 0.25
            idle_since = time.monotonic()
            while not stop.is_set():
                msgs = []
                for result in await asyncio.gather(*(s.fetch(batch=per_sub, timeout=wait_s) for s in subs),
                                                   return_exceptions=True):
                    if isinstance(result, list):
                        msgs.extend(result)
                    elif isinstance(result, (nats.js.errors.APIError, nats.errors.ConnectionClosedError,
                                             nats.errors.NoRespondersError)):
                        # A cluster node went away: the client reconnects to another.
                        self._log(f"worker: fetch failed ({result!r}); retrying")
                        await asyncio.sleep(0.5)
                    elif not isinstance(result, (nats.errors.TimeoutError, asyncio.TimeoutError)):
                        raise result
                if not msgs:
                    if idle_exit_s is not None and time.monotonic() - idle_since > idle_exit_s:
                        break
                    continue
                idle_since = time.monotonic()
                bodies = [(m.subject, m.data) for m in msgs]
                report = await asyncio.to_thread(self._commit_batches, bodies)
                committed = time.time()
                for m in msgs:
                    await m.ack()
                self._record(msgs, report, committed)
            return self.stats
        finally:
            if self._conn is not None:
                self._conn.close()
            await nc.close()

    def durable_for(self, subject: str) -> str:
        """The consumer of one filter: the durable name, suffixed when a worker has several filters."""
        if len(self.subjects) == 1:
            return self.durable
        return f"{self.durable}-" + re.sub(r"[^A-Za-z0-9_-]", "_", subject.removeprefix(SUBJECT_PREFIX + "."))

    async def _subscribe(self, js, subject: str):
        config = api.ConsumerConfig(ack_wait=self.ack_wait_s, max_deliver=-1, max_ack_pending=20_000,
                                    max_waiting=512)
        for attempt in range(50):
            try:
                await ensure_stream(js)
                return await js.pull_subscribe(subject, durable=self.durable_for(subject), stream=STREAM,
                                               config=config)
            except (nats.errors.TimeoutError, asyncio.TimeoutError, nats.js.errors.APIError) as exc:
                self._log(f"worker: stream not ready ({exc!r}); retrying")
                await asyncio.sleep(0.2 * (attempt + 1))
        raise RuntimeError(f"{STREAM}: could not subscribe after 50 attempts")

    def _record(self, msgs, report: IngestReport, committed: float) -> None:
        self.stats.batches += len(msgs)
        self.stats.transactions += 1
        self.stats.accepted += report.accepted
        self.stats.duplicates += report.duplicates
        self.stats.rejected += report.rejected
        if self.stats_file is None:
            return
        latencies = []
        for m in msgs:
            published = (m.headers or {}).get(PUBLISHED_AT)
            if published:
                latencies.append(committed - float(published))
        with open(self.stats_file, "a") as handle:
            handle.write(json.dumps({"committed": committed, "events": report.received,
                                     "accepted": report.accepted, "latencies_s": latencies}) + "\n")
