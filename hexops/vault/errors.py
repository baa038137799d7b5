"""The exception tree of vault/: every error names the clip, key or file it is about."""

from __future__ import annotations


class VaultError(Exception):
    """Base of every error raised by vault/."""


class TamperedClip(VaultError):
    """A chunk failed authentication: the clip was altered, reordered or truncated.

    Nothing from the failing chunk (or after it) was released.
    """


class WrongKek(VaultError):
    """The key-encryption key at hand is not the one that wrapped a data key."""


class KeyDestroyed(VaultError):
    """The clip's data key was destroyed by retention: the clip is unrecoverable."""


class AccessDenied(VaultError):
    """The user's role does not allow this vault operation."""


class ClipNotFound(VaultError):
    """No clip with that id is in the vault."""


class HoldError(VaultError):
    """An evidence hold could not be placed or released as asked."""
