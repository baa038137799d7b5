"""The exception tree of ingest/: each error names the file, row or field it is about."""

from __future__ import annotations

from hexops.errors import HexopsError, InputError


class IngestError(HexopsError):
    """Base of every error raised by ingest/."""


class BatchError(IngestError, InputError):
    """A whole batch is unusable (not JSON, wrong schema, no event list).

    Individual bad events never raise: they are quarantined with a reason.
    """

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}", field=field)
        self.message = message


class SourceError(IngestError, InputError):
    """A file or stream could not be read at all (names the file and the problem)."""
