"""Checking the vault directory against the database: orphan files and missing files.

A crash can leave ciphertext nobody points at: a ``.part`` file from an
interrupted write, or a clip's new file from a hold whose transaction rolled
back.  Such files are harmless (their key is a day key due for shredding, or
a hold key that was never committed) but take space.  Rows whose file is gone
mean footage was lost outside hexops, which an operator must know.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from hexops.geodata import audit
from hexops.geodata import vault as q
from hexops.vault.store import Vault

#: Files younger than this may belong to a write still in progress.
MIN_ORPHAN_AGE_S = 3600


@dataclass
class FsckReport:
    orphans: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    removed: int = 0


def check(vault: Vault, conn: psycopg.Connection, *, delete_orphans: bool = False, actor: str = "system:fsck",
          now_s: float | None = None) -> FsckReport:
    """Compare ``vault.root`` with ``vault_clips``; optionally delete orphans older than an hour."""
    now_s = now_s or time.time()
    known = dict(q.all_clip_paths(conn))
    report = FsckReport()
    on_disk: set[str] = set()
    if vault.root.exists():
        for path in vault.root.rglob("*"):
            if not path.is_file() or not (path.suffix == ".hxv" or path.name.endswith(".part")):
                continue
            relative = path.relative_to(vault.root).as_posix()
            on_disk.add(relative)
            if relative not in known and now_s - path.stat().st_mtime >= MIN_ORPHAN_AGE_S:
                report.orphans.append(path)
    report.missing = sorted(clip_id for relative, clip_id in known.items() if relative not in on_disk)
    if delete_orphans and report.orphans:
        for path in report.orphans:
            path.unlink(missing_ok=True)
            report.removed += 1
        audit.record(conn, actor=actor, action="vault.fsck", target=str(vault.root),
                     details={"orphans_removed": report.removed, "rows_without_file": len(report.missing)})
    return report
