"""Retention: crypto-shred expired day keys, then delete files and rows, then sign a receipt.

The order is the point.  Step 1 commits the deletion of every expired key
and then destroys every period key (vault/keystore.py) that no remaining key
names, so from that moment every expired clip is unreadable wherever copies
of it or of its wrapped key (WAL, backups, replicas, stolen disks) exist,
even to someone holding the KEK.
Step 2 removes the now-useless files and rows in batches; a crash there
leaves only ciphertext without keys, which the next run removes.  Held clips
were re-encrypted under their hold's key when the hold was placed, so step 1
never touches them while the hold is active.

Every step is set-based SQL in batches (``geodata.vault``), so a sweep over
a million clip records is a few dozen statements, not a million.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hexops.geodata import audit
from hexops.geodata import vault as q
from hexops.vault import receipts
from hexops.vault.store import Vault

DEFAULT_BATCH = 50_000
ACTOR = "system:retention"


@dataclass(frozen=True)
class RetentionResult:
    """What a run did, with its signed receipt (as written to the audit log)."""

    keys_destroyed: int
    clips_deleted: int
    files_missing: int
    signed: dict
    audit_id: int


def run_retention(
    conn: psycopg.Connection,
    vault: Vault,
    signing_key: Ed25519PrivateKey,
    *,
    now: datetime | None = None,
    batch: int = DEFAULT_BATCH,
    after_step: Callable[[str], None] | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> RetentionResult:
    """Run one retention sweep at ``now`` (default: the current time, UTC).

    Parameters
    ----------
    conn : psycopg.Connection
        A connection not inside a transaction; the run commits after each batch.
    after_step : callable, optional
        Called with ``"keys"`` after the keys are destroyed and ``"clips"``
        after files and rows are gone (tests use it to simulate a crash).
    progress : callable, optional
        Called with ``(step, n)`` after each batch.
    """
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("retention: now must carry a UTC offset")
    started = datetime.now(timezone.utc)
    step_done = after_step or (lambda _s: None)
    tick = progress or (lambda _s, _n: None)
    q.lock(conn)
    q.without_jit(conn)
    conn.commit()
    try:
        kinds: Counter[str] = Counter()
        key_days: Counter[str] = Counter()
        key_names: list[str] = []
        held_keys: list[int] = []
        while True:
            rows = q.destroy_expired_keys(conn, now, batch)
            conn.commit()
            for key_id, kind, camera_id, day, hold_id in rows:
                kinds[kind] += 1
                if kind == "day":
                    key_days[day.isoformat()] += 1
                    key_names.append(f"day:{camera_id}:{day.isoformat()}")
                else:
                    held_keys.append(hold_id)
                    key_names.append(f"hold:{hold_id}")
            tick("keys", len(rows))
            if len(rows) < batch:
                break
        # The rows are gone from the table but not from the WAL or from backups: destroying the
        # period keys no surviving row names is what puts the wrapped bytes out of reach.
        referenced = q.referenced_periods(conn)
        conn.commit()
        periods_destroyed = [p for p in vault.keystore.periods()
                             if p not in referenced and vault.keystore.destroy(p)]
        step_done("keys")

        clip_ids: list[str] = []
        missing = 0
        due = q.due_clips(conn, now)
        root = str(vault.root)
        conn.commit()
        for first in range(0, len(due), batch):
            rows = due[first:first + batch]
            # Files first, then rows: a crash in between leaves rows whose files are
            # gone, which the next run deletes (files_already_missing counts them).
            for _clip_id, relative in rows:
                try:
                    os.unlink(os.path.join(root, relative))
                except FileNotFoundError:
                    missing += 1
            q.delete_clips(conn, [clip_id for clip_id, _ in rows])
            conn.commit()
            clip_ids.extend(clip_id for clip_id, _ in rows)
            tick("clips", len(rows))
        step_done("clips")

        receipt = {
            "schema": receipts.SCHEMA,
            "run_id": uuid.uuid4().hex,
            "now": now.isoformat(),
            "started_at": started.isoformat(),
            "finished_at": datetime.now(timezone.utc).isoformat(),
            "day_keys_destroyed": kinds["day"],
            "hold_keys_destroyed": kinds["hold"],
            "day_keys_by_day": dict(sorted(key_days.items())),
            "holds_shredded": sorted(held_keys),
            "keys_sha256": receipts.digest(key_names),
            "period_keys_destroyed": len(periods_destroyed),
            "period_keys_sha256": receipts.digest(periods_destroyed),
            "clips_deleted": len(clip_ids),
            "clip_ids_sha256": receipts.digest(clip_ids),
            "files_already_missing": missing,
        }
        signed = receipts.sign(receipt, signing_key)
        audit_id = audit.record(conn, actor=ACTOR, action="retention.run", target=receipt["run_id"],
                                reason="retention sweep",
                                details=signed)
        conn.commit()
        return RetentionResult(len(key_names), len(clip_ids), missing, signed, audit_id)
    finally:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.rollback()
        q.unlock(conn)
        conn.commit()
