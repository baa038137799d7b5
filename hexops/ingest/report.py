"""What happened to a batch of detection events: counts, per-row outcomes and reasons."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"


@dataclass
class IngestReport:
    """What happened to one batch.

    Attributes
    ----------
    source : str
        Where the batch came from (``file:/path``, ``http:<user>``, ``nats:<subject>``).
    received, accepted, duplicates, rejected : int
        Event counts; ``accepted + duplicates + rejected == received``.
    outcomes : numpy.ndarray of str
        Per input row: ``accepted``, ``duplicate`` or ``rejected``.
    reasons : dict
        Input row position (0-based) -> reason text, each reason starting
        with the field it is about (``people: must be >= 0, got -3``).
    camera_minute_rows, hex_rows : int
        Aggregate rows inserted or updated.
    first_row : int
        Source row number of the batch's first event.
    """

    source: str
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    outcomes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    reasons: dict[int, str] = field(default_factory=dict)
    camera_minute_rows: int = 0
    hex_rows: int = 0
    first_row: int = 1

    def reason_counts(self) -> Counter:
        """How many rejections each field had (``{"people": 3, "camera_id": 1}``)."""
        counts: Counter = Counter()
        for text in self.reasons.values():
            for part in text.split("; "):
                counts[part.split(":", 1)[0]] += 1
        return counts

    def merge(self, other: "IngestReport", row_offset: int | None = None) -> None:
        """Add ``other``'s counts (a file ingested chunk by chunk, a worker's batches).

        ``other``'s reasons are re-keyed by ``row_offset`` (default: the rows
        received so far, so positions continue).
        """
        offset = self.received if row_offset is None else row_offset
        self.received += other.received
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.camera_minute_rows += other.camera_minute_rows
        self.hex_rows += other.hex_rows
        self.reasons.update({offset + k: v for k, v in other.reasons.items()})
        self.outcomes = np.concatenate([self.outcomes, other.outcomes])
