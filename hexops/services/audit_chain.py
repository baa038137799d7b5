"""Keeping the audit log honest against someone who can rewrite the database.

Three layers, each catching what the one before cannot:

1. the hash chain (migration 032): an edited row fails its hash, a deleted
   one leaves a gap -- unless the editor re-hashes everything after it;
2. the seals (migration 036, :mod:`geodata.audit`): each row's position and
   hash under a key the database never sees, so a re-hashed row no longer
   matches its seal, even when a superuser did it;
3. checkpoints, kept *outside* the database: ``(position, row hash, time)``
   sealed with the same key and appended to a file (and recorded in the log
   as ``audit.checkpoint``).  Deleting the newest rows together with their
   seals leaves a consistent but shorter chain; a checkpoint past its end, or
   one whose row now has another hash, gives that away.

Rows written after the newest checkpoint can still be cut from the tail
unnoticed, so checkpoint often: every ``hexops audit verify`` that passes,
every retention sweep, and ``hexops audit checkpoint --every 1m`` as a worker.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from hexops.geodata.audit import ChainReport

_LABEL = b"hexops.audit-checkpoint/1|"


@dataclass(frozen=True)
class Checkpoint:
    """The log's head at one moment: ``seq`` (chain position), its ``row_hash`` (hex), ``at`` (UTC ISO)."""

    seq: int
    row_hash: str
    at: str
    mac: str = ""

    def sealed(self, key: bytes) -> "Checkpoint":
        return Checkpoint(self.seq, self.row_hash, self.at, self._mac(key))

    def _mac(self, key: bytes) -> str:
        message = _LABEL + f"{self.seq}|{self.row_hash}|{self.at}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def valid(self, key: bytes) -> bool:
        return hmac.compare_digest(self.mac, self._mac(key))


class CheckpointFile:
    """An append-only JSON-lines file of checkpoints (mode 0600, directory 0700).

    Several processes may append: each line is one ``write`` on a file opened
    with ``O_APPEND``, which the kernel does not interleave.
    """

    def __init__(self, path: Path):
        self.path = Path(path)

    def append(self, checkpoint: Checkpoint) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        line = json.dumps({"seq": checkpoint.seq, "row_hash": checkpoint.row_hash, "at": checkpoint.at,
                           "mac": checkpoint.mac}, sort_keys=True) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> list[tuple[int, Checkpoint | None]]:
        """``(line number, checkpoint or None if unreadable)`` for every line; [] without a file."""
        if not self.path.exists():
            return []
        found: list[tuple[int, Checkpoint | None]] = []
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                data = json.loads(line)
                found.append((number, Checkpoint(int(data["seq"]), str(data["row_hash"]), str(data["at"]),
                                                 str(data["mac"]))))
            except (ValueError, KeyError, TypeError):
                found.append((number, None))
        return found


def checkpoint_file(settings) -> CheckpointFile:
    """``HEXOPS_AUDIT_CHECKPOINT_FILE`` or ``<state_dir>/audit/checkpoints.jsonl``."""
    return CheckpointFile(settings.audit_checkpoint_file or settings.state_dir / "audit" / "checkpoints.jsonl")


@dataclass(frozen=True)
class AuditVerdict:
    """What ``hexops audit verify`` reports: the chain and seals, then the checkpoints."""

    chain: ChainReport
    checkpoints: int
    ok: bool
    problem: str | None = None


def verify(uow, key: bytes, checkpoints: CheckpointFile) -> AuditVerdict:
    """Check hashes, links and seals of every row, then every checkpoint against the log."""
    with uow:
        chain = uow.audit.verify_chain(key)
        if not chain.ok:
            where = f"audit_id {chain.first_bad_audit_id}" if chain.first_bad_audit_id is not None else "no row"
            return AuditVerdict(chain, 0, False, f"chain broken at position {chain.first_bad_seq} ({where}): "
                                                  f"{chain.problem}")
        entries = checkpoints.read()
        for number, entry in entries:
            if entry is None or not entry.valid(key):
                return AuditVerdict(chain, len(entries), False,
                                    f"{checkpoints.path}:{number}: not a checkpoint sealed by the audit key")
        if not entries:
            return AuditVerdict(chain, 0, True)
        # The seals already pin every row's hash; what only a checkpoint shows is how far the log
        # reached, so the furthest one is checked against the log.
        number, entry = max(entries, key=lambda e: e[1].seq)
        if chain.head_seq is None or entry.seq > chain.head_seq:
            return AuditVerdict(chain, len(entries), False, (
                f"checkpoint {checkpoints.path}:{number} saw the log reach position {entry.seq} at "
                f"{entry.at}, but it now ends at {chain.head_seq or 0}: the newest rows were deleted"))
        stored = uow.audit.row_hash_at(entry.seq)
        if stored is None or stored.hex() != entry.row_hash:
            return AuditVerdict(chain, len(entries), False, (
                f"checkpoint {checkpoints.path}:{number}: the row at position {entry.seq} is not the one "
                f"checkpointed at {entry.at} (rewritten)"))
        return AuditVerdict(chain, len(entries), True)


def checkpoint(uow, key: bytes, checkpoints: CheckpointFile, *, actor: str) -> Checkpoint | None:
    """Append the log's current head to the checkpoint file, then record it in the log.

    The file is written first: it is the copy the database cannot change.
    Returns the checkpoint, or None when the log is empty or nothing but the
    previous checkpoint's own record was written since (so a scheduled
    checkpoint on an idle log adds nothing).
    """
    with uow:
        head = uow.audit.head()
        if head is None or (head[2] == "audit.checkpoint" and checkpoints.path.exists()):
            return None
        seq, row_hash, _ = head
        entry = Checkpoint(seq, row_hash.hex(), datetime.now(timezone.utc).isoformat()).sealed(key)
        checkpoints.append(entry)
        uow.audit.record(actor=actor, action="audit.checkpoint", target=str(seq),
                         details={"row_hash": entry.row_hash, "file": str(checkpoints.path)})
        uow.commit()
        return entry


def seal_unsealed(uow, key: bytes, *, actor: str) -> int:
    """Seal rows written before seals existed (trust on first use; run once, after a clean verify)."""
    with uow:
        count = uow.audit.seal_unsealed(key)
        uow.audit.record(actor=actor, action="audit.seal_unsealed", details={"rows": count})
        uow.commit()
        return count
