"""The one exception vocabulary of hexops.

Every error hexops raises on purpose is a :class:`HexopsError`: it carries
the ``field`` (or file, row, variable) it is about and the HTTP ``status``
that the web layer answers with.  One Flask handler
(:mod:`hexops.dashboard.errors`) and one click wrapper (:mod:`hexops.cli`)
turn it into a response or a message; no entry point catches the subclasses
one by one.

The subclasses below say what kind of failure it is; each room derives its
own errors from them (``LoadError`` from :class:`InputError`, ``TamperedClip``
from :class:`IntegrityError`, ...).
"""

from __future__ import annotations

from typing import Any


class HexopsError(Exception):
    """Root of every error hexops raises on purpose.

    Parameters
    ----------
    message : str
        What went wrong, in words a user can act on.
    field : str, optional
        The input it is about: a form field, query parameter, file column,
        ``file:row`` or environment variable.
    status : int, optional
        HTTP status for the web layer; defaults to the class's ``status``.
    """

    status: int = 500

    def __init__(self, message: str = "", *, field: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status

    def to_dict(self) -> dict[str, Any]:
        """The JSON body the web layer sends: ``{"error": ..., "field": ...}``."""
        body: dict[str, Any] = {"error": self.message or type(self).__name__}
        if self.field:
            body["field"] = self.field
        return body


class InputError(HexopsError, ValueError):
    """Bad input: a request, form, file or setting that cannot be used as given (400)."""

    status = 400


class NotFoundError(HexopsError, LookupError):
    """What was asked for does not exist, or is not visible to the caller (404)."""

    status = 404


class ForbiddenError(HexopsError, PermissionError):
    """The caller may not do this (403)."""

    status = 403


class ConflictError(HexopsError):
    """The request clashes with the current state, e.g. a locked account or a held clip (409)."""

    status = 409


class IntegrityError(HexopsError):
    """Stored data failed a check: a tampered clip, a broken audit chain (500, and on record)."""

    status = 500


class UnavailableError(HexopsError):
    """A server hexops needs (database, broker, key file) cannot be reached or used (503)."""

    status = 503
