"""The exception tree of vault/: every error names the clip, key or file it is about."""

from __future__ import annotations

from hexops.errors import (
    ConflictError, ForbiddenError, HexopsError, IntegrityError, NotFoundError,
)


class VaultError(HexopsError):
    """Base of every error raised by vault/."""


class TamperedClip(VaultError, IntegrityError):
    """A chunk failed authentication: the clip was altered, reordered or truncated.

    Nothing from the failing chunk (or after it) was released.
    """


class WrongKek(VaultError, IntegrityError):
    """The key-encryption key at hand is not the one that wrapped a data key."""


class KeyDestroyed(VaultError):
    status = 410

    """The clip's data key was destroyed by retention: the clip is unrecoverable."""


class AccessDenied(VaultError, ForbiddenError):
    """The user's role does not allow this vault operation."""


class ClipNotFound(VaultError, NotFoundError):
    """No clip with that id is in the vault."""


class HoldError(VaultError, ConflictError):
    """An evidence hold could not be placed or released as asked."""
