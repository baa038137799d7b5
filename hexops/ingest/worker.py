"""The JetStream ingest worker: a durable pull consumer that writes each camera-minute about once.

A worker fetches gateway batches, parses and validates them at once, and
holds them (see :mod:`hexops.ingest.minutes`):

- every ``flush_s`` seconds it sets each camera's latest held minute in
  ``detections_camera_latest`` (the live preview, what pages read within a
  second or two of publication);
- once the minutes a group of batches covers are over (by the latest event
  time seen, plus ``grace_s``), or it was held ``hold_s`` seconds, the group
  is written through :func:`hexops.ingest.core.commit_prepared` (keys,
  camera-minute rows, hex rollups, quarantine) in one transaction with
  ``synchronous_commit=on``, on a second connection while fetching goes on;
  only then are its batches acknowledged.

A worker killed while holding batches leaves them unacknowledged: JetStream
redelivers them and the next worker rebuilds the preview.  One killed between
commit and acknowledgement causes a redelivery that the idempotency keys turn
into duplicates.  Either way nothing is lost or counted twice.  A batch that
JetStream redelivers while it is still held (its ``ack_wait`` ran out) is
recognised by its stream sequence and not counted again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nats
import numpy as np
import pandas as pd
import psycopg
from nats.js import api

from hexops.geodata import detections
from hexops.ingest.core import IngestReport, commit_prepared, merge_prepared, prepare_events
from hexops.ingest.errors import BatchError
from hexops.ingest.known_cameras import camera_registry
from hexops.ingest.minutes import MINUTE_NS, HeldGroup, MinuteBuffer
from hexops.ingest.schema import parse_batch, parse_many_counted
from hexops.ingest.stream import DURABLE, PUBLISHED_AT, STREAM, SUBJECT_PREFIX, ensure_stream, owner_of_subject

_RETRYABLE = (psycopg.OperationalError, psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)


@dataclass
class WorkerStats:
    """What a worker has done so far."""

    batches: int = 0
    transactions: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    previews: int = 0
    camera_minute_writes: int = 0


class Worker:
    """One ingest worker (see the module docstring).

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
        write the same camera's rows.
    fetch_batch : int
        Batches pulled per fetch.
    ack_wait_s : float
        Seconds before JetStream redelivers an unacknowledged batch.  A group
        is never held longer than half of it.
    flush_s : float
        Seconds between live-preview writes.
    hold_s : float
        Longest a group is held (also bounded by ``ack_wait_s / 2``); 0
        writes every fetch at once, as workers did before the minute buffer.
    grace_s : float
        Seconds after a minute ends before it is written.
    stats_file : Path, optional
        Append one JSON line per commit (``kind`` ``preview`` or ``close``,
        events, publish-to-commit latencies).
    now : callable, optional
        The product clock (``now() -> datetime``, UTC) a fetch's events are
        judged against (too far ahead, too old); default wall-clock time.  A
        demo replay passes its scenario clock.
    """

    def __init__(self, servers: list[str], database_url: str, *, durable: str = DURABLE,
                 subjects: str | list[str] = f"{SUBJECT_PREFIX}.>", fetch_batch: int = 64,
                 ack_wait_s: float = 150.0, flush_s: float = 1.0, hold_s: float = 75.0, grace_s: float = 5.0,
                 stats_file: Path | None = None, log=None, now=None):
        self.servers = servers
        self.database_url = database_url
        self.durable = durable
        self.subjects = [subjects] if isinstance(subjects, str) else list(subjects)
        self.fetch_batch = fetch_batch
        self.ack_wait_s = ack_wait_s
        self.flush_s = flush_s
        self.buffer = MinuteBuffer(grace_s=grace_s, hold_s=min(hold_s, ack_wait_s / 2))
        self.legacy = hold_s <= 0
        self.stats_file = stats_file
        self.stats = WorkerStats()
        self._conns: dict[str, psycopg.Connection] = {}
        self._log = log or (lambda text: print(text, file=sys.stderr, flush=True))
        self._source = f"nats:{','.join(self.subjects)}"
        self._now = now

    def _connection(self, role: str) -> psycopg.Connection:
        """The connection of one role: ``fetch`` (registry, previews) or ``close`` (the writes)."""
        conn = self._conns.get(role)
        if conn is None or conn.closed:
            # Acks follow commits, so a commit must be durable whatever the
            # server's default: a crash must not undo an acknowledged batch.
            conn = self._conns[role] = psycopg.connect(self.database_url, connect_timeout=5,
                                                       options="-c synchronous_commit=on")
        return conn

    def _drop(self, role: str) -> None:
        conn = self._conns.pop(role, None)
        if conn is not None:
            conn.close()

    def _retrying(self, role: str, work):
        """Run ``work(conn)`` until it succeeds, reconnecting with back-off while the database is away."""
        delay = 0.2
        while True:
            try:
                return work(self._connection(role))
            except _RETRYABLE as exc:
                self._log(f"worker: database error, retrying in {delay:.1f} s: {exc}".strip())
                self._drop(role)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _prepare(self, msgs: list) -> list[HeldGroup]:
        """Parse, validate and key fetched batches, cut by the minute each batch's events end in.

        A fetch often straddles the end of a minute; cut there, each part is
        written with its own minute, so a camera-minute row is written once.
        A whole batch that cannot be parsed is quarantined with its reason.
        """
        broken = []
        parsed = parse_many_counted([m.data for m in msgs])
        if parsed is not None:
            frame, counts = parsed
        else:
            frames, counts = [], []
            for m in msgs:
                try:
                    frames.append(parse_batch(m.data)[1])
                    counts.append(len(frames[-1]))
                except BatchError as exc:
                    counts.append(0)
                    broken.append((None, None, None, f"batch on {m.subject}: {exc}",
                                   {"body": m.data[:10_000].decode("utf-8", "replace")}))
            frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
            counts = np.asarray(counts, dtype=np.int64)

        msg_of_row = np.repeat(np.arange(len(msgs)), counts)
        # A batch may only name cameras of the department its subject names:
        # whoever can publish on one department's subjects writes no other's.
        subject_owner = np.array([owner_of_subject(m.subject) or "" for m in msgs], dtype=object)

        def prepare(conn: psycopg.Connection):
            registry = camera_registry(conn)
            conn.rollback()
            now = self._now() if self._now is not None else None
            return prepare_events(frame, registry, source=self._source, now=now, aggregated=False,
                                  owner=subject_owner[msg_of_row])

        prepared = self._retrying("fetch", prepare)
        ends = np.zeros(len(msgs), dtype=np.int64)
        np.maximum.at(ends, msg_of_row[prepared.valid["pos"]], prepared.valid["end_ns"])
        # Each batch by the minute its latest event ends in (0: no valid event).
        minute_of_msg = -(-ends // MINUTE_NS)
        parts = prepared.split(minute_of_msg[msg_of_row]) if len(msg_of_row) else {}
        if broken or (minute_of_msg == 0).any():
            part = parts.get(0) or prepared.empty()
            part.quarantine_rows.extend(broken)
            parts[0] = part
        arrived = time.monotonic()
        return [HeldGroup(msgs=[m for m, k in zip(msgs, minute_of_msg) if k == label], prepared=part,
                          arrived=arrived, seqs=[m.metadata.sequence.stream for m, k in zip(msgs, minute_of_msg)
                                                 if k == label])
                for label, part in sorted(parts.items())]

    def _flush_preview(self) -> int:
        """Write the changed cameras' latest held minutes; returns rows written (0 on failure)."""
        rows = self.buffer.preview.take_dirty()
        if len(rows) == 0:
            return 0
        last = dt.datetime.fromtimestamp(int(rows["minute_s"].max()), dt.timezone.utc)
        try:
            conn = self._connection("fetch")
            with conn.transaction():
                # A lost preview is rebuilt from the redelivered batches: no need to wait for the disk.
                conn.execute("SET LOCAL synchronous_commit = off")
                written = detections.upsert_camera_latest(conn, rows)
                detections.extend_extent(conn, None, last)
            return written
        except _RETRYABLE as exc:
            self._log(f"worker: preview not written ({exc}); the next flush carries it")
            self._drop("fetch")
            self.buffer.preview.mark_dirty(rows)
            return 0

    def _close(self, groups: list[HeldGroup]) -> IngestReport:
        """Write held groups in one transaction (retrying while the database is away)."""
        def write(conn: psycopg.Connection) -> IngestReport:
            try:
                registry = camera_registry(conn)
                merged = merge_prepared([g.prepared for g in groups], registry, source=self._source)
                report = commit_prepared(conn, merged)
                conn.commit()
                return report
            except BaseException:
                if not conn.closed:
                    conn.rollback()
                raise

        return self._retrying("close", write)

    async def run(self, *, stop: asyncio.Event | None = None, idle_exit_s: float | None = None) -> WorkerStats:
        """Consume until ``stop`` is set (or nothing arrived for ``idle_exit_s`` seconds)."""
        stop = stop or asyncio.Event()
        nc = await nats.connect(servers=self.servers, max_reconnect_attempts=-1, reconnect_time_wait=0.25)
        closing: asyncio.Task | None = None
        closing_groups: list[HeldGroup] = []
        try:
            js = nc.jetstream(timeout=10.0)
            subs = [await self._subscribe(js, subject) for subject in self.subjects]
            per_sub = max(1, self.fetch_batch // len(subs))
            # With several filters an empty one must not hold up the others for long.
            wait_s = min(self.flush_s, 1.0) if len(subs) == 1 else 0.25
            idle_since = last_flush = time.monotonic()
            unflushed: list[HeldGroup] = []
            while not stop.is_set():
                msgs = await self._fetch(subs, per_sub, wait_s)
                fresh = [m for m in msgs if not self.buffer.known(m.metadata.sequence.stream, m)]
                if fresh:
                    idle_since = time.monotonic()
                    groups = await asyncio.to_thread(self._prepare, fresh)
                    if self.legacy:
                        # Each fetch in its own transaction, as before the minute buffer.
                        await self._acknowledge(groups, await asyncio.to_thread(self._close, groups))
                        continue
                    for group in groups:
                        self.buffer.add(group)
                    unflushed.extend(groups)
                now = time.monotonic()
                if now - last_flush >= self.flush_s:
                    last_flush = now
                    if await asyncio.to_thread(self._flush_preview):
                        self._record_preview([g for g in unflushed if g.previewed], time.time())
                    unflushed = []
                if closing is not None and closing.done():
                    await self._acknowledge(closing_groups, closing.result())
                    closing, closing_groups = None, []
                if closing is None:
                    closing_groups = self.buffer.take_closable(time.monotonic())
                    if closing_groups:
                        closing = asyncio.create_task(asyncio.to_thread(self._close, closing_groups))
                if (not msgs and idle_exit_s is not None and closing is None and not self.buffer.groups
                        and time.monotonic() - idle_since > idle_exit_s):
                    break
                if not msgs and idle_exit_s is not None and time.monotonic() - idle_since > idle_exit_s:
                    # Nothing more is coming: write what is held rather than wait for its minutes.
                    self.buffer.hold_s = 0.0
            if closing is not None:
                await self._acknowledge(closing_groups, await closing)
            rest = self.buffer.take_closable(time.monotonic(), everything=True)
            if rest:
                await self._acknowledge(rest, await asyncio.to_thread(self._close, rest))
            return self.stats
        finally:
            for role in list(self._conns):
                self._drop(role)
            await nc.close()

    async def _fetch(self, subs, per_sub: int, wait_s: float) -> list:
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
        return msgs

    async def _acknowledge(self, groups: list[HeldGroup], report: IngestReport) -> None:
        """Acknowledge the batches of committed groups, then record the commit."""
        committed = time.time()
        for group in groups:
            for m in group.msgs:
                await m.ack()
        self.buffer.release(groups)
        msgs = [m for g in groups for m in g.msgs]
        self.stats.batches += len(msgs)
        self.stats.transactions += 1
        self.stats.accepted += report.accepted
        self.stats.duplicates += report.duplicates
        self.stats.rejected += report.rejected
        self.stats.camera_minute_writes += report.camera_minute_rows
        self._write_stats({"kind": "close", "committed": committed, "events": report.received,
                           "accepted": report.accepted, "latencies_s": _latencies(msgs, committed)})

    def _record_preview(self, groups: list[HeldGroup], committed: float) -> None:
        self.stats.previews += 1
        msgs = [m for g in groups for m in g.msgs]
        self._write_stats({"kind": "preview", "committed": committed, "accepted": 0,
                           "visible_s": _latencies(msgs, committed)})

    def _write_stats(self, row: dict) -> None:
        if self.stats_file is not None:
            with open(self.stats_file, "a") as handle:
                handle.write(json.dumps(row) + "\n")

    def durable_for(self, subject: str) -> str:
        """The consumer of one filter: the durable name, suffixed when a worker has several filters."""
        if len(self.subjects) == 1:
            return self.durable
        return f"{self.durable}-" + re.sub(r"[^A-Za-z0-9_-]", "_", subject.removeprefix(SUBJECT_PREFIX + "."))

    async def _subscribe(self, js, subject: str):
        config = api.ConsumerConfig(ack_wait=self.ack_wait_s, max_deliver=-1, max_ack_pending=50_000,
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


def _latencies(msgs: list, committed: float) -> list[float]:
    """Publish-to-commit seconds of the messages that carry their publication time."""
    out = []
    for m in msgs:
        published = (m.headers or {}).get(PUBLISHED_AT)
        if published:
            out.append(committed - float(published))
    return out
