"""NATS JetStream: the durable stream of detection batches and its publisher.

- One stream, ``HEXOPS_DETECTIONS``, on subjects ``hexops.detections.<owner>.<district>``
  (work-queue retention: a batch leaves the stream once a worker acks it).
- Workers (:mod:`hexops.ingest.worker`) share durable pull consumers, hold
  batches until their minutes are over, write them through the ingestion core
  and acknowledge only after the commit.
- Publishers set ``Nats-Msg-Id`` to the batch id, so JetStream drops a
  publish retried inside its duplicate window.
"""

from __future__ import annotations

import asyncio
import time
from typing import Iterable

import nats
from nats.js import api
from nats.js.errors import NotFoundError

from hexops.ingest.schema import subject_token


STREAM = "HEXOPS_DETECTIONS"
SUBJECT_PREFIX = "hexops.detections"
DURABLE = "hexops-ingest"
PUBLISHED_AT = "Hexops-Published-At"


def subject_for(owner: str, district: str | None) -> str:
    """``hexops.detections.<owner>.<district>``; unusable characters become ``_``."""
    return f"{SUBJECT_PREFIX}.{subject_token(owner)}.{subject_token(district)}"


def owner_of_subject(subject: str) -> str | None:
    """The owner token of a detections subject (None when the subject is not one)."""
    parts = subject.split(".")
    return parts[2] if len(parts) >= 4 and ".".join(parts[:2]) == SUBJECT_PREFIX else None


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


def __getattr__(name: str):
    # The consumer lives in hexops.ingest.worker (it imports this module).
    if name in ("Worker", "WorkerStats"):
        from hexops.ingest import worker

        return getattr(worker, name)
    raise AttributeError(name)
