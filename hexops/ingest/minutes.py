"""A worker's minute buffer: batches held until their minutes are complete, and the live preview.

At 1 Hz a camera reports 60 events a minute.  Writing each fetch as it comes
rewrote every camera-minute row, its idempotency keys and its hex rollups
about 60 times a minute (880 bytes of WAL per event).  A worker instead
holds the batches it fetched, unacknowledged, until the minutes they cover
are over, and then writes them through the ingestion core in one
transaction: each camera-minute row and key row is written about once.

The held minutes are not invisible meanwhile: every flush (about a second)
the worker sets each camera's latest held minute in
``detections_camera_latest`` (one row per camera, updated in place).  A
reader adds that row to the committed ones only while its (camera, minute)
has no committed row, so nothing is counted twice and nothing depends on
which of the two transactions a reader sees first.

JetStream's guarantees carry this: delivery is at least once, so a worker
that dies while holding batches loses nothing (they are redelivered, and
the preview is rebuilt); ordering per subject means the minutes of a
district close in order.  Batches are acknowledged only after the
transaction that wrote them has committed.

This module is the bookkeeping (no database, no NATS): which batches are
held, when they may be written, and the preview's sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hexops.geodata.detections import LATEST_COLUMNS, MAX_COLUMNS
from hexops.ingest import aggregate
from hexops.ingest.core import Prepared

MINUTE_NS = 60 * aggregate.NS
_INTEGER_COLUMNS = frozenset({"saturated_n"})


@dataclass
class HeldGroup:
    """Batches fetched together, validated and keyed, waiting for their minutes to end.

    Attributes
    ----------
    msgs : list
        The JetStream messages (acknowledged after the group is committed).
    prepared : Prepared
        Their events (see :func:`hexops.ingest.core.prepare_events`).
    arrived : float
        ``time.monotonic()`` when fetched.
    closes_at_ns : int
        Epoch nanoseconds of the latest window end among its valid events
        (0 when it has none): it may be written once every minute up to
        there is over.
    previewed : bool
        Whether any of its events went into the live preview.
    """

    msgs: list
    prepared: Prepared
    arrived: float
    closes_at_ns: int = 0
    previewed: bool = False
    seqs: list[int] = field(default_factory=list)


class LivePreview:
    """Each camera's latest minute of held events, summed as the camera-minute rows are (what readers use).

    Cameras are slots in growing arrays, so a registry change (new cameras)
    only adds slots.  ``dirty`` marks cameras changed since the last flush.
    """

    def __init__(self) -> None:
        self._slot_of: dict[str, int] = {}
        self._ids: list[str] = []
        self._maps: dict[int, np.ndarray] = {}
        self.minute_s = np.zeros(0, dtype=np.int64)
        self.sums = {name: np.zeros(0) for name in LATEST_COLUMNS}
        self.dirty = np.zeros(0, dtype=bool)

    def _slots(self, registry) -> np.ndarray:
        mapped = self._maps.get(registry.version)
        if mapped is None:
            for camera_id in registry.ids:
                if camera_id not in self._slot_of:
                    self._slot_of[camera_id] = len(self._ids)
                    self._ids.append(camera_id)
            grow = len(self._ids) - len(self.minute_s)
            if grow > 0:
                self.minute_s = np.concatenate([self.minute_s, np.full(grow, -1, dtype=np.int64)])
                self.dirty = np.concatenate([self.dirty, np.zeros(grow, dtype=bool)])
                for name in LATEST_COLUMNS:
                    self.sums[name] = np.concatenate([self.sums[name], np.zeros(grow)])
            mapped = self._maps[registry.version] = np.fromiter(
                (self._slot_of[c] for c in registry.ids), dtype=np.int64, count=len(registry.ids))
        return mapped

    def add(self, prepared: Prepared, open_after_ns: int) -> bool:
        """Add the events that end after ``open_after_ns`` to their cameras' latest minutes.

        Returns whether any event was added.  A camera's older minute (a late
        event) is left to the committed rows.
        """
        valid = prepared.valid
        if len(valid) == 0:
            return False
        valid = valid.take(valid["end_ns"] > open_after_ns)
        if len(valid) == 0:
            return False
        pieces = aggregate.group(aggregate.split_windows(valid, aggregate.MINUTE_S), ["camera_idx", "bucket_s"])
        camera = pieces["camera_idx"]
        last = np.ones(len(camera), dtype=bool)
        last[:-1] = camera[1:] != camera[:-1]
        slots = self._slots(prepared.registry)[camera[last]]
        bucket = pieces["bucket_s"][last]
        current = self.minute_s[slots]
        newer = bucket > current
        same = bucket == current
        self.minute_s[slots[newer]] = bucket[newer]
        for name in LATEST_COLUMNS:
            value = pieces[name][last].astype(float)
            column = self.sums[name]
            column[slots[newer]] = value[newer]
            if name in MAX_COLUMNS:
                column[slots[same]] = np.maximum(column[slots[same]], value[same])
            else:
                column[slots[same]] += value[same]
        changed = newer | same
        self.dirty[slots[changed]] = True
        return bool(changed.any())

    def take_dirty(self) -> pd.DataFrame:
        """Rows of the cameras changed since the last call (``camera_id``, ``minute_s``, sums)."""
        slots = np.flatnonzero(self.dirty)
        self.dirty[slots] = False
        ids = np.asarray(self._ids, dtype=object)[slots] if len(slots) else np.zeros(0, dtype=object)
        frame = pd.DataFrame({"camera_id": ids, "minute_s": self.minute_s[slots]})
        for name in LATEST_COLUMNS:
            values = self.sums[name][slots]
            frame[name] = np.rint(values).astype(np.int64) if name in _INTEGER_COLUMNS else values
        return frame

    def mark_dirty(self, frame: pd.DataFrame) -> None:
        """Put rows taken by :meth:`take_dirty` back (their flush failed)."""
        for camera_id in frame["camera_id"]:
            self.dirty[self._slot_of[camera_id]] = True


class MinuteBuffer:
    """The batches a worker holds, when they may be written, and the live preview.

    Parameters
    ----------
    grace_s : float
        Seconds after a minute ends (by the latest event time seen) before
        it is written, for batches of that minute still in flight.
    hold_s : float
        Longest a group is held by the wall clock, whatever the event times
        (a stream that stops; a worker told to acknowledge within a short
        ``ack_wait``).  0 writes every fetch at once (the path before the
        minute buffer).
    """

    def __init__(self, grace_s: float = 5.0, hold_s: float = 90.0):
        self.grace_ns = int(grace_s * aggregate.NS)
        self.hold_s = hold_s
        self.groups: list[HeldGroup] = []
        self.watermark_ns = 0
        self.preview = LivePreview()
        self._held: dict[int, tuple[HeldGroup, int]] = {}

    def cutoff_ns(self) -> int:
        """Events ending at or before this (epoch ns, a whole minute) may be written now."""
        return max(self.watermark_ns - self.grace_ns, 0) // MINUTE_NS * MINUTE_NS

    def known(self, seq: int, msg: Any) -> bool:
        """True if the message with stream sequence ``seq`` is already held (a redelivery).

        The held copy is replaced by this delivery, so the acknowledgement
        goes to the newest one.
        """
        held = self._held.get(seq)
        if held is None:
            return False
        group, position = held
        group.msgs[position] = msg
        return True

    def add(self, group: HeldGroup) -> None:
        """Hold a prepared group; its events join the preview unless they can be written at once."""
        valid = group.prepared.valid
        if len(valid):
            group.closes_at_ns = int(valid["end_ns"].max())
            self.watermark_ns = max(self.watermark_ns, group.closes_at_ns)
        if self.hold_s > 0:
            group.previewed = self.preview.add(group.prepared, self.cutoff_ns())
        for position, seq in enumerate(group.seqs):
            self._held[seq] = (group, position)
        self.groups.append(group)

    def take_closable(self, now: float, everything: bool = False) -> list[HeldGroup]:
        """Remove and return the groups whose minutes are over (or held too long).

        A group held ``hold_s`` takes every group of its minute (and earlier)
        with it, so a minute that ends the stream is still written at once.
        """
        cutoff = self.cutoff_ns()
        expired = [g.closes_at_ns for g in self.groups if now - g.arrived >= self.hold_s]
        if expired:
            cutoff = max(cutoff, -(-max(expired) // MINUTE_NS) * MINUTE_NS)
        ready = [g for g in self.groups if everything or g.closes_at_ns <= cutoff]
        if ready:
            taken = {id(g) for g in ready}
            self.groups = [g for g in self.groups if id(g) not in taken]
        return ready

    def release(self, groups: list[HeldGroup]) -> None:
        """Forget the stream sequences of groups that have been acknowledged."""
        for group in groups:
            for seq in group.seqs:
                self._held.pop(seq, None)

    def held_events(self) -> int:
        return sum(len(g.prepared.valid) for g in self.groups)
