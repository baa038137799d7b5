"""Vault use cases: what the CLI, the admin page and the demo call.

Each function takes the composition root's :class:`app.AppContext`, opens
one transaction (or, for retention, one connection committing per batch),
and hands the work to :mod:`vault`.  Key material comes from the environment
or files under the state directory (see :mod:`vault.keys`), never from the
database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from hexops.geodata import vault as q
from hexops.vault import holds, keys, receipts, retention, rotation
from hexops.vault.store import Vault

DEMO_STEP = (50, "video and vault: a clip analysed and stored encrypted, a retention sweep")
DEMO_CLIP = "demo-clip-0001"


def vault_root(context) -> Path:
    """Where clip files live: ``HEXOPS_VAULT_DIR`` or ``<state_dir>/vault/clips``."""
    return context.settings.vault_dir or context.settings.state_dir / "vault" / "clips"


def open_vault(context) -> Vault:
    kek = keys.load_kek(context.settings)
    return Vault(vault_root(context), kek)


def put_clip(context, source: Path, *, camera_id: str, recorded_at: datetime, user: str | None) -> str:
    vault = open_vault(context)
    with context.db.connection() as conn:
        return vault.put(conn, source, camera_id=camera_id, recorded_at=recorded_at,
                         stored_by=user or "system:vault")


def get_clip(context, clip_id: str, out: Path, *, user: str | None, reason: str) -> int:
    vault = open_vault(context)
    with context.db.connection() as conn:
        return vault.get(conn, clip_id, out, user=user, reason=reason)


def place_hold(context, *, case_id: str, clip_ids: list[str], user: str | None, reason: str,
               until: datetime | None) -> int:
    """Place a hold (under the vault lock, so no retention run interleaves)."""
    vault = open_vault(context)
    with context.db.connection() as conn:
        q.lock(conn)
        conn.commit()  # the session lock stays; the hold below is then its own transaction
        try:
            placed = holds.place_hold(vault, conn, case_id=case_id, clip_ids=clip_ids, user=user,
                                      reason=reason, until=until)
            # Committed: only now may the day-key copies go.
            placed.remove_superseded()
        finally:
            q.unlock(conn)
            conn.commit()
    return placed.hold_id


def release_hold(context, hold_id: int, *, user: str | None, reason: str) -> None:
    vault = open_vault(context)
    with context.db.connection() as conn:
        holds.release_hold(vault, conn, hold_id, user=user, reason=reason)


def set_retention(context, owner_code: str, keep_days: int, *, actor: str) -> None:
    """Set how many days an owner's video is kept (``'*'``: the default); audited."""
    from hexops.geodata import audit
    from hexops.vault.errors import VaultError

    if not 1 <= keep_days <= 3650:
        raise VaultError(f"--days: {keep_days} is outside 1..3650")
    with context.db.connection() as conn:
        if owner_code != "*" and not q.department_exists(conn, owner_code):
            raise VaultError(f"--owner: {owner_code!r} is not a department code")
        q.lock(conn)
        try:
            with conn.transaction():
                q.set_keep_days(conn, owner_code, keep_days)
                audit.record(conn, actor=actor, action="retention.policy", target=owner_code,
                             details={"keep_days": keep_days})
        finally:
            q.unlock(conn)


def retention_policy(context) -> list[tuple[str, int]]:
    with context.db.connection() as conn:
        return q.retention_policy(conn)


def list_clips(context, camera_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    with context.db.connection() as conn:
        return q.list_clips(conn, camera_id, limit)


def list_holds(context, include_released: bool = False, now: datetime | None = None) -> list[dict[str, Any]]:
    with context.db.connection() as conn:
        return q.list_holds(conn, now or datetime.now(timezone.utc), include_released)


def run_retention(context, now: datetime | None = None,
                  progress: Callable[[str, int], None] | None = None) -> retention.RetentionResult:
    vault = open_vault(context)
    signing_key = keys.load_signing_key(context.settings)
    with context.db.connection() as conn:
        return retention.run_retention(conn, vault, signing_key, now=now, progress=progress)


def rotate_kek(context, new_kek_file: Path, *, actor: str) -> int:
    """Re-wrap every data key under the KEK in ``new_kek_file`` (the operator then switches to it)."""
    old = keys.load_kek(context.settings, create=False)
    new = keys.load_kek_file(new_kek_file)
    with context.db.connection() as conn:
        q.lock(conn)
        try:
            with conn.transaction():
                return rotation.rotate_kek(conn, old, new, actor=actor)
        finally:
            q.unlock(conn)


def fsck(context, *, delete_orphans: bool, actor: str):
    """Check the vault directory against the database (see :mod:`vault.fsck`)."""
    from hexops.vault import fsck as vault_fsck

    with context.db.connection() as conn:
        return vault_fsck.check(open_vault(context), conn, delete_orphans=delete_orphans, actor=actor)


@dataclass(frozen=True)
class RetentionStatus:
    """What the admin page shows: clips by days to expiry, holds, and the last sweep."""

    by_days: list[dict[str, Any]]
    holds: list[dict[str, Any]]
    last_sweep: dict[str, Any] | None
    last_sweep_verified: bool | None
    public_key: str | None


def retention_status(context, now: datetime | None = None) -> RetentionStatus:
    now = now or datetime.now(timezone.utc)
    signing_key = keys.load_signing_key(context.settings)
    expected = keys.public_key_hex(signing_key)
    with context.db.connection() as conn:
        groups = q.clips_by_days_to_expiry(conn, now)
        hold_rows = q.list_holds(conn, now, include_released=True)
        last = q.last_audit(conn, "retention.run")
    by_days = [{"days_to_expiry": d, "held": held, "clips": n, "bytes": b} for d, held, n, b in groups]
    verified = None if last is None else receipts.verify(last["details"], expected)
    return RetentionStatus(by_days, hold_rows, last, verified, expected)


def demo_step(context, echo: Callable[[str], None]) -> None:
    """Analyse a synthetic wet-street video for the first camera, store it encrypted, run a sweep.

    Idempotent: the clip has a fixed id and is analysed and stored only once.
    """
    import tempfile
    from datetime import timedelta

    from hexops.democity.scenarios import RAINSTORM
    from hexops.ingest.video.pipeline import analyse_video, build_analyser, ingest_video_events
    from hexops.ingest.video.synthetic import street_frame, write_street_video
    from hexops.detectors.registry import Registry
    from hexops.detectors.runners import build_detector

    with context.db.connection() as conn:
        camera = q.first_active_camera(conn)
        exists = q.clip(conn, DEMO_CLIP) is not None
    if camera is None:
        echo("  vault: no cameras yet; skipped")
        return
    if not exists:
        spec, _ = Registry.for_settings(context.settings).default_detector()
        # The clip's detections belong to the demo's rainstorm afternoon, like the
        # rest of the demo data: stamped with wall-clock time they would push the
        # crowd and flood machines to step through every 5 minutes since October.
        # The vault itself keeps real time, so retention treats the clip as new.
        seen_at = RAINSTORM.black_start
        stored_at = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=10)
        with tempfile.TemporaryDirectory() as tmp:
            video = write_street_video(Path(tmp) / "demo.avi", frames=120, people=3, water="wet", fps=1)
            analyser = build_analyser(build_detector(spec), street_frame(0), spec.saturation_count)
            events = analyse_video(video, camera, analyser, start=seen_at, rate_hz=0.5)
            with context.db.connection() as conn:
                report = ingest_video_events(conn, events, "demo.avi", now=seen_at + timedelta(minutes=5))
            echo(f"  video: {report.accepted} detection events from a synthetic wet-street clip on {camera}")
            vault = open_vault(context)
            with context.db.connection() as conn:
                vault.put(conn, video, camera_id=camera, recorded_at=stored_at, stored_by="system:demo",
                          clip_id=DEMO_CLIP)
        echo(f"  vault: stored encrypted clip {DEMO_CLIP} (try `hexops vault get {DEMO_CLIP} --user <commander> "
             "--reason ... --out clip.avi`)")
    result = run_retention(context)
    echo(f"  vault: retention sweep shredded {result.keys_destroyed} keys, deleted {result.clips_deleted} clips")


def model_registry(context) -> list[dict[str, Any]]:
    """The detector registry with each model file's presence (for the admin page)."""
    from hexops.detectors.registry import Registry

    return Registry.for_settings(context.settings).status()
