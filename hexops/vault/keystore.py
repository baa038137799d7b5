"""Period keys: the part of every data key's wrapping that never enters the database.

Deleting a row is not enough to forget a key: PostgreSQL keeps the deleted
row's bytes in its write-ahead log, in pages not yet vacuumed and in every
backup taken while the row lived.  With the key-encryption key (KEK) in
hand, any of those copies would unwrap a day key retention had "destroyed".

So each data key is wrapped under a key derived from the KEK *and* a period
key, a random 32-byte key held here, one file per period:

==========================  ==================================================
``day:<owner>:<YYYY-MM-DD>``  every camera-day of one owner's cameras on one
                              UTC day: they expire together (whole days, one
                              retention per owner), so the file is destroyed
                              exactly when their keys are
``hold:<hold_id>``            an evidence hold's key (held clips are re-keyed
                              under it), destroyed when the hold key is
==========================  ==================================================

Destroying the file is what makes the expired clips unrecoverable from any
copy of the database, its WAL or its backups, KEK or not.  The key store
must therefore be kept out of long-lived backups (docs/video-vault.md): a
backup of it would bring the period keys back.  Files are 0600 in a 0700
directory; destruction overwrites the file before unlinking it, which helps
on simple file systems but is no promise on copy-on-write or flash storage.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from hexops.vault.errors import KeyDestroyed, VaultError

_KEY_BYTES = 32
_PERIOD = re.compile(r"^(day:[A-Za-z0-9_-]{1,32}:\d{4}-\d{2}-\d{2}|hold:\d{1,18})$")


def day_period(owner_code: str, day) -> str:
    """The period of an owner's camera-days on ``day`` (a UTC date)."""
    return f"day:{owner_code}:{day.isoformat()}"


def hold_period(hold_id: int) -> str:
    return f"hold:{hold_id}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class KeyStore:
    """A directory of period keys (``HEXOPS_VAULT_KEYSTORE_DIR``, default ``<state>/vault/keystore``)."""

    directory: Path

    def _path(self, period: str) -> Path:
        if not _PERIOD.match(period):
            raise VaultError(f"key store: {period!r} is not a period name")
        # ':' is awkward in file names; '+' never occurs in a period.
        return self.directory / (period.replace(":", "+") + ".key")

    def get(self, period: str) -> bytes:
        """The period's key.

        Raises
        ------
        KeyDestroyed
            When the period's key was destroyed (its keys expired) or never existed here.
        """
        try:
            key = self._path(period).read_bytes()
        except FileNotFoundError:
            raise KeyDestroyed(
                f"period key {period} is not in {self.directory}: destroyed by retention (or this is the "
                "wrong key store); nothing it wrapped can be decrypted") from None
        if len(key) != _KEY_BYTES:
            raise VaultError(f"{self._path(period)}: not a {_KEY_BYTES}-byte key")
        return key

    def get_or_create(self, period: str) -> bytes:
        """The period's key, created (random, 0600, atomically) on first use."""
        path = self._path(period)
        if not path.exists():
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(os.urandom(_KEY_BYTES))
                    fh.flush()
                    os.fsync(fh.fileno())
                try:
                    os.link(tmp, path)  # another process may have made it first: keep theirs
                except FileExistsError:
                    pass
            finally:
                tmp.unlink(missing_ok=True)
            _fsync_dir(self.directory)
        return self.get(period)

    def periods(self) -> list[str]:
        """Every period whose key is held, sorted."""
        if not self.directory.exists():
            return []
        found = (path.name[:-len(".key")].replace("+", ":") for path in self.directory.glob("*.key"))
        return sorted(period for period in found if _PERIOD.match(period))

    def destroy(self, period: str) -> bool:
        """Overwrite and delete the period's key; True if there was one."""
        path = self._path(period)
        try:
            fd = os.open(path, os.O_WRONLY)
        except FileNotFoundError:
            return False
        try:
            os.write(fd, b"\0" * _KEY_BYTES)
            os.fsync(fd)
        finally:
            os.close(fd)
        path.unlink()
        _fsync_dir(self.directory)
        return True
