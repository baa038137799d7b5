"""Turning flat events into gateway batches on the stream's partitioned subjects, and pacing them.

A gateway speaks for the cameras of one owner in one district, so batches
are grouped by (owner, district) and published on
``hexops.detections.<owner>.<district>``; a worker pool can then be pinned
to one owner's or one district's subjects.

:class:`PacedPublisher` is the replay side: it publishes fixed windows of
events as a clock passes each window's end, the way cameras report a
window's summary when it closes (the live demo drives it with the scenario
clock).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import orjson
import pandas as pd

from hexops.ingest import files
from hexops.ingest.known_cameras import CameraRegistry
from hexops.ingest.schema import SCHEMA, nest_event
from hexops.ingest.stream import PUBLISHED_AT, ensure_stream, subject_for


def frame_batches(frame: pd.DataFrame, owners: np.ndarray, districts: np.ndarray,
                  batch_events: int) -> Iterator[tuple[str, bytes, str]]:
    """``(subject, body, batch_id)`` for flat events whose cameras have ``owners``/``districts``.

    The batch id is a hash of the batch's event ids, so publishing the same
    events again yields the same ids (JetStream drops the repeat).
    """
    keys = pd.DataFrame({"owner": owners, "district": districts}).fillna("none")
    for (owner, district), index in keys.groupby(["owner", "district"], sort=True).groups.items():
        group = frame.loc[index]
        subject = subject_for(owner, district)
        for start in range(0, len(group), batch_events):
            part = group.iloc[start:start + batch_events]
            records = [nest_event(r) for r in part.to_dict("records")]
            digest = hashlib.blake2b(
                "\n".join(map(str, part["event_id"].tolist())).encode(), digest_size=12
            ).hexdigest()
            body = orjson.dumps({"schema": SCHEMA, "gateway_id": f"{owner}-{district}", "events": records},
                                option=orjson.OPT_SERIALIZE_NUMPY)
            yield subject, body, digest


def file_batches(path: Path, fmt: str | None, registry: CameraRegistry,
                 batch_events: int) -> Iterator[tuple[str, bytes, str]]:
    """Batches of a file's events; events of unknown cameras go on ``hexops.detections.none.none``
    (the worker rejects them with their reason)."""
    path = Path(path)
    fmt = files.detect_format(path, fmt)
    for _, frame in files.read_chunks(path, fmt, 100_000):
        camera_ids = frame["camera_id"].to_numpy(dtype=object) if "camera_id" in frame.columns else \
            np.full(len(frame), None, dtype=object)
        rows = registry.lookup(np.asarray([c if isinstance(c, str) else "" for c in camera_ids], dtype=object))
        known = rows >= 0
        owners = np.where(known, registry.owners[np.maximum(rows, 0)], None)
        districts = np.where(known, registry.districts[np.maximum(rows, 0)], None)
        yield from frame_batches(frame.reset_index(drop=True), owners, districts, batch_events)


@dataclass(frozen=True)
class PublishedWindow:
    """One window on the stream: its end (UTC), events and batches, and the wall seconds it took."""

    end: datetime
    events: int
    batches: int
    seconds: float


#: Routes of events: camera ids -> (owner codes, district codes), aligned.
Router = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


class PacedPublisher:
    """Publish windows of events when a clock passes each window's end.

    Parameters
    ----------
    servers : list of str
        NATS URLs.
    window : timedelta
        Width of a window (the events' ``window_end - window_start``).
    events_for : callable
        ``events_for(start, end) -> DataFrame`` of flat events (``hexops.detections/1``).
    route : callable
        ``route(camera_ids) -> (owners, districts)`` for the subjects.
    now : callable
        The clock: ``now() -> datetime`` (UTC).  A window ending at ``t`` is
        published once ``now() >= t``; a publisher that fell behind (a
        restart) publishes the missed windows back to back.
    batch_events : int
        Events per published batch.
    """

    def __init__(self, servers: list[str], *, window: timedelta, events_for: Callable[[datetime, datetime], pd.DataFrame],
                 route: Router, now: Callable[[], datetime], batch_events: int = 1000, timeout_s: float = 10.0):
        self.servers = servers
        self.window = window
        self.events_for = events_for
        self.route = route
        self.now = now
        self.batch_events = batch_events
        self.timeout_s = timeout_s

    def batches(self, end: datetime) -> tuple[list[tuple[str, bytes, str]], int]:
        """The gateway batches of the window ending at ``end``, and how many events they hold."""
        frame = self.events_for(end - self.window, end).reset_index(drop=True)
        if frame.empty:
            return [], 0
        for column in ("window_start", "window_end"):
            if pd.api.types.is_datetime64_any_dtype(frame[column]):
                # The wire format is ISO-8601 text with an offset.
                frame[column] = frame[column].dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        owners, districts = self.route(frame["camera_id"].to_numpy(dtype=object))
        return list(frame_batches(frame, owners, districts, self.batch_events)), len(frame)

    async def run(self, after: datetime, on_published: Callable[[PublishedWindow], None], *,
                  until: datetime | None = None, stop: asyncio.Event | None = None, poll_s: float = 0.2) -> int:
        """Publish every window ending after ``after`` (up to ``until``) as the clock passes it.

        ``on_published`` is called after the stream acknowledged every batch of
        a window (record it there: a restarted publisher resumes from it).
        Returns the number of windows published when ``stop`` is set or the
        last window before ``until`` is out.
        """
        import nats

        stop = stop or asyncio.Event()
        nc = await nats.connect(servers=self.servers, max_reconnect_attempts=-1, reconnect_time_wait=0.25)
        published = 0
        try:
            js = nc.jetstream(timeout=self.timeout_s)
            await ensure_stream(js)
            end = after + self.window
            while not stop.is_set() and (until is None or end <= until):
                if self.now() < end:
                    try:
                        await asyncio.wait_for(stop.wait(), poll_s)
                    except asyncio.TimeoutError:
                        pass
                    continue
                started = time.monotonic()
                batches, events = await asyncio.to_thread(self.batches, end)
                await _publish_all(js, batches, self.timeout_s)
                on_published(PublishedWindow(end, events, len(batches), time.monotonic() - started))
                published += 1
                end += self.window
            return published
        finally:
            await nc.close()


async def _publish_all(js, batches: list[tuple[str, bytes, str]], timeout_s: float) -> None:
    """Publish batches concurrently and wait for every stream ack; retry what failed (same msg id)."""
    import nats

    pending = batches
    for attempt in range(20):
        stamp = repr(time.time())
        results = await asyncio.gather(*(
            js.publish(subject, body, headers={"Nats-Msg-Id": batch_id, PUBLISHED_AT: stamp}, timeout=timeout_s)
            for subject, body, batch_id in pending), return_exceptions=True)
        failed = [b for b, r in zip(pending, results) if isinstance(r, BaseException)]
        for result in results:
            if isinstance(result, BaseException) and not isinstance(
                    result, (nats.errors.TimeoutError, asyncio.TimeoutError, nats.js.errors.APIError,
                             nats.errors.NoRespondersError)):
                raise result
        if not failed:
            return
        pending = failed
        await asyncio.sleep(min(0.2 * (attempt + 1), 2.0))
    raise TimeoutError(f"{len(pending)} batches not acknowledged by the stream")
