"""Evidence holds: a case id, who, why, until when; held clips are re-keyed under the hold.

Placing a hold re-encrypts each clip under a fresh per-hold data key (wrapped by
the KEK), so that retention can still destroy the camera-day key -- and with it
every clip of that day nobody asked to keep -- while the held clips survive.
Releasing a hold only marks it released; the next retention run deletes the
clips that are past their camera-day's expiry, and destroys the hold key once
none of its clips is still within retention.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import psycopg

from hexops.geodata import audit
from hexops.geodata import vault as q
from hexops.vault import crypto
from hexops.vault.access import HOLD_ROLES, require_role
from hexops.vault.errors import ClipNotFound, HoldError
from hexops.vault.keystore import hold_period
from hexops.vault.store import Vault, atomic_file, hold_key_context


@dataclass(frozen=True)
class PlacedHold:
    """A hold just placed: its id, and the files to remove once the transaction commits."""

    hold_id: int
    superseded: list[Path]

    def remove_superseded(self) -> None:
        for path in self.superseded:
            path.unlink(missing_ok=True)


def place_hold(
    vault: Vault, conn: psycopg.Connection, *, case_id: str, clip_ids: list[str], user: str | None,
    reason: str, until: datetime | None = None, now: datetime | None = None,
) -> "PlacedHold":
    """Place a hold on ``clip_ids`` for ``case_id``.

    Atomic: its own transaction, or a savepoint when the caller has one open.
    The caller should hold the vault lock (:func:`geodata.vault.lock`) so a
    retention run cannot shred a day key while its clips are being re-keyed.
    The superseded day-key files are returned, not removed: the caller removes
    them once the enclosing transaction has committed, so a rollback still
    finds every clip's file where its row says.

    Raises
    ------
    HoldError
        No clips, an unknown or already expired (and unheld) clip, or a
        ``until`` in the past.  A clip already held for another case is
        linked to this hold too, without re-encrypting it again.
    """
    now = now or datetime.now(timezone.utc)
    require_role(conn, vault.role_lookup, user, HOLD_ROLES, f"place a hold for case {case_id}")
    if not clip_ids:
        raise HoldError(f"case {case_id}: no clips named")
    if not reason or not reason.strip():
        raise HoldError(f"case {case_id}: a reason is required")
    if until is not None and (until.tzinfo is None or until <= now):
        raise HoldError(f"case {case_id}: until {until.isoformat()} must be a future time with a UTC offset")
    written: list[Path] = []
    old_files: list[Path] = []
    try:
        # A savepoint (or the transaction itself): a failure on any clip undoes the whole hold.
        with conn.transaction():
            hold_id = _rekey_under_new_hold(vault, conn, case_id, list(dict.fromkeys(clip_ids)), user,
                                            reason, until, now, written, old_files)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return PlacedHold(hold_id, old_files)


def _rekey_under_new_hold(
    vault: Vault, conn: psycopg.Connection, case_id: str, clip_ids: list[str], user: str, reason: str,
    until: datetime | None, now: datetime, written: list[Path], old_files: list[Path],
) -> int:
    hold_id = q.insert_hold(conn, case_id=case_id, placed_by=user, reason=reason, until=until)
    hold_key = os.urandom(32)
    period = hold_period(hold_id)
    wrapped = vault.kek.wrap(hold_key, hold_key_context(hold_id), period_key=vault.keystore.get_or_create(period))
    key_id = q.insert_hold_key(conn, hold_id, vault.kek.kek_id, wrapped, period)
    for clip_id in clip_ids:
        clip = q.clip(conn, clip_id, for_update=True)
        if clip is None:
            raise ClipNotFound(f"case {case_id}: clip {clip_id} is not in the vault")
        held = q.clip_is_held(conn, clip_id, now)
        if clip["expires_at"] <= now and not held:
            raise HoldError(f"case {case_id}: clip {clip_id} expired {clip['expires_at'].isoformat()}")
        if clip["hold_id"] is None:
            # First hold on this clip: take it out of the day key's reach.
            old_key = vault.unwrap_clip_key(clip)
            relative = str(Path(clip["path"]).with_suffix(f".h{hold_id}.hxv"))
            target = vault.path_of(relative)
            written.append(target)
            with open(vault.path_of(clip["path"]), "rb") as src, atomic_file(target) as dst:
                crypto.reencrypt_stream(old_key, hold_key, clip_id, src, dst, vault.chunk_size)
            q.move_clip_under_hold(conn, clip_id, hold_id, key_id, relative)
            old_files.append(vault.path_of(clip["path"]))
        # A clip already under an earlier hold's key is not re-encrypted: the link alone
        # keeps it, and keeps that key alive, for as long as this hold is active.
        q.link_clip_to_hold(conn, clip_id, hold_id)
    audit.record(conn, actor=user, action="hold.place", target=f"hold:{hold_id}", reason=reason,
                 details={"case_id": case_id, "clips": clip_ids,
                          "until": until.isoformat() if until else None})
    return hold_id


def release_hold(
    vault: Vault, conn: psycopg.Connection, hold_id: int, *, user: str | None, reason: str,
) -> None:
    """Release a hold; its clips expire on the next retention run if past retention."""
    require_role(conn, vault.role_lookup, user, HOLD_ROLES, f"release hold {hold_id}")
    hold = q.hold(conn, hold_id, for_update=True)
    if hold is None:
        raise HoldError(f"hold {hold_id}: no such hold")
    if hold["released_at"] is not None:
        raise HoldError(f"hold {hold_id}: already released at {hold['released_at'].isoformat()}")
    if not reason or not reason.strip():
        raise HoldError(f"hold {hold_id}: a reason is required")
    q.release_hold(conn, hold_id, user, reason)
    audit.record(conn, actor=user, action="hold.release", target=f"hold:{hold_id}", reason=reason,
                 details={"case_id": hold["case_id"]})
