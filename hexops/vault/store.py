"""Putting clips into the vault and getting them out, audited and role-checked.

Clip files live under the vault root as ``<camera>/<YYYY-MM-DD>/<clip_id>.hxv``
(the path relative to the root is what the database stores, so the directory
can move).  Each file is written to a temporary name, fsynced and renamed, so
a crash never leaves a half-written clip under a real name; the row commits
after the file is in place, and a file without a row is removed.

Every attempt to view footage is on record before anything else happens:
a refusal (role, reason, unknown or expired clip, destroyed key) as
``clip.refused``, a clip that fails authentication as ``clip.tampered``, a
view as ``clip.view`` -- each committed in its own transaction.  The clip
is verified end to end *before* the view is recorded, and plaintext is only
written after that record commits, into a file only its owner can read.
"""

from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import psycopg

from hexops.geodata import audit
from hexops.geodata import vault as q
from hexops.vault import crypto
from hexops.vault.access import VIEW_ROLES, RoleLookup, require_role
from hexops.vault.errors import ClipNotFound, KeyDestroyed, TamperedClip, VaultError
from hexops.vault.keys import Kek
from hexops.vault.keystore import KeyStore, day_period

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def day_key_context(camera_id: str, day) -> str:
    return f"day:{camera_id}:{day.isoformat()}"


def hold_key_context(hold_id: int) -> str:
    return f"hold:{hold_id}"


def key_context(clip: dict) -> str:
    """The wrapping context of the key a clip row points at."""
    if clip["key_kind"] == "hold":
        return hold_key_context(clip["hold_id"])
    return day_key_context(clip["camera_id"], clip["day"])


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_file(final: Path, mode: int = 0o600) -> Iterator:
    """Write to ``final`` via a temporary sibling (created ``mode``): renamed on success, removed on failure."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.part")
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        fsync_dir(final.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@dataclass
class Vault:
    """The clip vault of one deployment.

    Parameters
    ----------
    root : Path
        Directory holding the encrypted clip files.
    kek : Kek
        The key-encryption key (kept outside the database).
    keystore : KeyStore
        The period keys every data key's wrapping also depends on (outside the database).
    role_lookup : callable
        ``(conn, username) -> role or None``; :func:`geodata.vault.user_role` in production.
    chunk_size : int
        Plaintext bytes per sealed chunk.
    """

    root: Path
    kek: Kek
    keystore: KeyStore
    role_lookup: RoleLookup = field(default=q.user_role)
    chunk_size: int = crypto.DEFAULT_CHUNK_SIZE

    def path_of(self, relative: str) -> Path:
        return self.root / relative

    def _data_key(self, conn: psycopg.Connection, camera_id: str, day) -> tuple[int, bytes]:
        """The camera-day's data key (created and wrapped on first use): ``(key_id, key)``."""
        context = day_key_context(camera_id, day)
        row = q.day_key(conn, camera_id, day)
        if row is None:
            # A new key must not slip past a KEK rotation (it would stay wrapped by the old
            # KEK), nor its period key past a sweep that destroys unused period keys, so
            # creating one waits for the vault lock.  Two writers may race to create the
            # same day key; the loser reads the winner's.
            q.lock_shared_for_transaction(conn)
            period = day_period(q.camera_owner(conn, camera_id), day)
            wrapped = self.kek.wrap(os.urandom(32), context, period_key=self.keystore.get_or_create(period))
            q.insert_day_key(conn, camera_id, day, self.kek.kek_id, wrapped, period)
            row = q.day_key(conn, camera_id, day)
        return row["key_id"], self._unwrap(row["wrapped"], context, row["kek_id"], row["period"])

    def _unwrap(self, wrapped: bytes, context: str, kek_id: str, period: str | None) -> bytes:
        period_key = self.keystore.get(period) if period is not None else None
        return self.kek.unwrap(bytes(wrapped), context, kek_id, period_key=period_key)

    def put(
        self, conn: psycopg.Connection, source: Path, *, camera_id: str, recorded_at: datetime,
        stored_by: str, now: datetime | None = None, clip_id: str | None = None,
    ) -> str:
        """Encrypt ``source`` into the vault; returns the new clip id.

        The caller's transaction holds the row and the audit entry; call it
        inside ``with conn.transaction()`` (or commit after).

        Raises
        ------
        VaultError
            Unknown camera, a time without a UTC offset, a clip already past
            retention, or an unreadable source file (each named).
        """
        now = now or datetime.now(timezone.utc)
        if recorded_at.tzinfo is None:
            raise VaultError(f"{source}: recorded_at {recorded_at.isoformat()} has no UTC offset")
        if not _SAFE_NAME.match(camera_id):
            raise VaultError(f"{source}: camera id {camera_id!r} is not a plain name")
        if q.camera_owner(conn, camera_id) is None:
            raise VaultError(f"{source}: camera {camera_id!r} is not in the cameras table")
        if not source.is_file():
            raise VaultError(f"{source}: no such file")
        recorded_at = recorded_at.astimezone(timezone.utc)
        day = recorded_at.date()
        expires = q.expiry(conn, camera_id, day)
        if expires <= now:
            raise VaultError(
                f"{source}: recorded {recorded_at.isoformat()} on camera {camera_id}, which expired "
                f"{expires.isoformat()}; the vault does not store footage past retention"
            )
        clip_id = clip_id or uuid.uuid4().hex
        if not _SAFE_NAME.match(clip_id):
            raise VaultError(f"{source}: clip id {clip_id!r} is not a plain name")
        key_id, key = self._data_key(conn, camera_id, day)
        relative = f"{camera_id}/{day.isoformat()}/{clip_id}.hxv"
        final = self.path_of(relative)
        if final.exists():
            raise VaultError(f"{source}: clip {clip_id} already has a file at {final}")
        with open(source, "rb") as src, atomic_file(final) as dst:
            size = crypto.encrypt_stream(key, clip_id, src, dst, self.chunk_size)
        try:
            q.insert_clip(conn, clip_id=clip_id, camera_id=camera_id, recorded_at=recorded_at, day=day,
                          size_bytes=size, path=relative, key_id=key_id, stored_by=stored_by)
            audit.record(conn, actor=stored_by, action="clip.store", target=clip_id,
                         details={"camera_id": camera_id, "recorded_at": recorded_at.isoformat(),
                                  "bytes": size})
        except BaseException:
            final.unlink(missing_ok=True)
            raise
        return clip_id

    def unwrap_clip_key(self, clip: dict) -> bytes:
        """The data key of a clip row from :func:`geodata.vault.clip`."""
        if clip["wrapped"] is None:
            raise KeyDestroyed(
                f"clip {clip['clip_id']}: its key was destroyed by retention; the clip cannot be decrypted"
            )
        return self._unwrap(clip["wrapped"], key_context(clip), clip["kek_id"], clip["period"])

    def get(
        self, uow, clip_id: str, out: Path, *, user: str | None, reason: str, now: datetime | None = None,
    ) -> int:
        """Decrypt a clip to ``out`` (mode 0600) for ``user``; every attempt is audited.

        In order: the request is checked (a refusal is recorded as
        ``clip.refused`` and committed); every chunk of the clip is verified
        without writing plaintext anywhere (a failure is recorded as
        ``clip.tampered`` and committed); the view is recorded (``clip.view``)
        and committed; only then is the clip decrypted into a 0600 temporary
        file next to ``out`` and renamed onto it.  ``uow`` is used for several
        transactions of its own.  Returns bytes written.

        Raises
        ------
        AccessDenied, ClipNotFound, KeyDestroyed, WrongKek, TamperedClip, VaultError
        """
        now = now or datetime.now(timezone.utc)
        with uow:
            try:
                clip, key, held = self._view_request(uow.conn, clip_id, user, reason, now)
            except VaultError as exc:
                uow.rollback()
                uow.audit.record(actor=user or "unknown", action="clip.refused", target=clip_id, reason=reason,
                                 details={"why": str(exc), "error": type(exc).__name__})
                uow.commit()
                raise
            source = self.path_of(clip["path"])
            try:
                with open(source, "rb") as src:
                    crypto.decrypt_stream(key, clip_id, src, _Discard())
            except TamperedClip as exc:
                self._record_tampered(uow, user, clip, exc)
                raise
            uow.audit.record(actor=user, action="clip.view", target=clip_id, reason=reason,
                             details={"camera_id": clip["camera_id"], "bytes": clip["size_bytes"], "held": held})
            uow.commit()
        # On record: now, and only now, plaintext may touch the disk, readable by its owner alone.
        try:
            with open(source, "rb") as src, atomic_file(out, 0o600) as dst:
                return crypto.decrypt_stream(key, clip_id, src, dst)
        except TamperedClip as exc:
            # The file changed between the two passes; nothing was renamed into place.
            with uow:
                self._record_tampered(uow, user, clip, exc)
            raise

    def _view_request(self, conn: psycopg.Connection, clip_id: str, user: str | None, reason: str,
                      now: datetime) -> tuple[dict, bytes, bool]:
        """Check a request to view a clip: ``(clip row, data key, held)`` or a :class:`VaultError`."""
        if not reason or not reason.strip():
            raise VaultError(f"clip {clip_id}: a reason is required to view footage")
        require_role(conn, self.role_lookup, user, VIEW_ROLES, f"view clip {clip_id}")
        clip = q.clip(conn, clip_id)
        if clip is None:
            raise ClipNotFound(f"clip {clip_id}: not in the vault")
        held = q.clip_is_held(conn, clip_id, now)
        if clip["expires_at"] <= now and not held:
            raise KeyDestroyed(
                f"clip {clip_id}: past retention since {clip['expires_at'].isoformat()} and awaiting "
                "shredding; it is not released"
            )
        key = self.unwrap_clip_key(clip)
        if not self.path_of(clip["path"]).is_file():
            raise ClipNotFound(f"clip {clip_id}: its file {clip['path']} is missing from the vault "
                               "(footage lost outside hexops; see hexops vault fsck)")
        return clip, key, held

    @staticmethod
    def _record_tampered(uow, user: str | None, clip: dict, exc: TamperedClip) -> None:
        uow.rollback()
        uow.audit.record(actor=user or "unknown", action="clip.tampered", target=clip["clip_id"], reason=str(exc),
                         details={"camera_id": clip["camera_id"], "path": clip["path"]})
        uow.commit()


class _Discard:
    """A file that forgets what is written to it: the verifying pass keeps no plaintext."""

    def write(self, data: bytes) -> int:
        return len(data)
