"""Vault use cases: what the CLI, the admin page and the demo call.

Each function takes a unit of work (and the :class:`vault.store.Vault` it
acts on) and owns its transactions; retention commits per batch.  Key
material -- the KEK, the period keys, the signing key -- comes from the
environment or files under the state directory (see :mod:`vault.keys`),
never from the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from hexops.vault import holds, keys, receipts, retention, rotation
from hexops.vault.errors import VaultError
from hexops.vault.store import Vault
from hexops.vault import fsck as vault_fsck
from hexops.detectors.registry import Registry

DEMO_STEP = (50, "video and vault: a clip analysed and stored encrypted, a retention sweep")
DEMO_CLIP = "demo-clip-0001"


def vault_root(settings) -> Path:
    """Where clip files live: ``HEXOPS_VAULT_DIR`` or ``<state_dir>/vault/clips``."""
    return settings.vault_dir or settings.state_dir / "vault" / "clips"


def open_vault(settings) -> Vault:
    """The deployment's vault: clip directory, KEK and period-key store from ``settings``."""
    return Vault(vault_root(settings), keys.load_kek(settings), keys.load_keystore(settings))


def put_clip(uow, vault: Vault, source: Path, *, camera_id: str, recorded_at: datetime, user: str | None) -> str:
    """Encrypt ``source`` into the vault; returns the clip id (audited as ``clip.store``)."""
    with uow:
        clip_id = vault.put(uow.conn, source, camera_id=camera_id, recorded_at=recorded_at,
                            stored_by=user or "system:vault")
        uow.commit()
    return clip_id


def get_clip(uow, vault: Vault, clip_id: str, out: Path, *, user: str | None, reason: str) -> int:
    """Decrypt a clip to ``out`` (0600) for a commander or admin; every attempt audited (see ``Vault.get``)."""
    return vault.get(uow, clip_id, out, user=user, reason=reason)


def place_hold(uow, vault: Vault, *, case_id: str, clip_ids: list[str], user: str | None, reason: str,
               until: datetime | None) -> int:
    """Place a hold (under the vault lock, so no retention run interleaves)."""
    with uow:
        uow.vault.lock()
        uow.commit()  # the session lock stays; the hold below is then its own transaction
        try:
            placed = holds.place_hold(vault, uow.conn, case_id=case_id, clip_ids=clip_ids, user=user,
                                      reason=reason, until=until)
            uow.commit()
            # Committed: only now may the day-key copies go.
            placed.remove_superseded()
        finally:
            uow.rollback()
            uow.vault.unlock()
            uow.commit()
    return placed.hold_id


def release_hold(uow, vault: Vault, hold_id: int, *, user: str | None, reason: str) -> None:
    with uow:
        holds.release_hold(vault, uow.conn, hold_id, user=user, reason=reason)
        uow.commit()


def set_retention(uow, owner_code: str, keep_days: int, *, actor: str) -> None:
    """Set how many days an owner's video is kept (``'*'``: the default); audited."""
    if not 1 <= keep_days <= 3650:
        raise VaultError(f"--days: {keep_days} is outside 1..3650", field="days")
    with uow:
        if owner_code != "*" and not uow.vault.department_exists(owner_code):
            raise VaultError(f"--owner: {owner_code!r} is not a department code", field="owner")
        uow.vault.lock()
        try:
            uow.vault.set_keep_days(owner_code, keep_days)
            uow.audit.record(actor=actor, action="retention.policy", target=owner_code,
                             details={"keep_days": keep_days})
            uow.commit()
        finally:
            uow.rollback()
            uow.vault.unlock()
            uow.commit()


def retention_policy(uow) -> list[tuple[str, int]]:
    with uow:
        return uow.vault.retention_policy()


def list_clips(uow, camera_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    with uow:
        return uow.vault.list_clips(camera_id, limit)


def list_holds(uow, include_released: bool = False, now: datetime | None = None) -> list[dict[str, Any]]:
    with uow:
        return uow.vault.list_holds(now or datetime.now(timezone.utc), include_released)


def run_retention(uow, vault: Vault, signing_key, now: datetime | None = None,
                  progress: Callable[[str, int], None] | None = None) -> retention.RetentionResult:
    """One crypto-shredding sweep (commits per batch; see :mod:`vault.retention`)."""
    with uow:
        return retention.run_retention(uow.conn, vault, signing_key, now=now, progress=progress)


def rotate_kek(uow, vault: Vault, new: keys.Kek, *, actor: str) -> int:
    """Re-wrap every data key under ``new`` (the operator then switches to it and destroys the old KEK)."""
    with uow:
        uow.vault.lock()
        try:
            count = rotation.rotate_kek(uow.conn, vault.kek, new, vault.keystore, actor=actor)
            uow.commit()
            return count
        finally:
            uow.rollback()
            uow.vault.unlock()
            uow.commit()


def fsck(uow, vault: Vault, *, delete_orphans: bool, actor: str):
    """Check the vault directory against the database (see :mod:`vault.fsck`)."""
    with uow:
        report = vault_fsck.check(vault, uow.conn, delete_orphans=delete_orphans, actor=actor)
        uow.commit()
        return report


@dataclass(frozen=True)
class RetentionStatus:
    """What the admin page shows: clips by days to expiry, holds, and the last sweep."""
    by_days: list[dict[str, Any]]
    holds: list[dict[str, Any]]
    last_sweep: dict[str, Any] | None
    last_sweep_verified: bool | None
    public_key: str | None


def retention_status(uow, signing_key, now: datetime | None = None) -> RetentionStatus:
    now = now or datetime.now(timezone.utc)
    expected = keys.public_key_hex(signing_key)
    with uow:
        groups = uow.vault.clips_by_days_to_expiry(now)
        hold_rows = uow.vault.list_holds(now, include_released=True)
        last = uow.vault.last_audit("retention.run")
    by_days = [{"days_to_expiry": d, "held": held, "clips": n, "bytes": b} for d, held, n, b in groups]
    verified = None if last is None else receipts.verify(last["details"], expected)
    return RetentionStatus(by_days, hold_rows, last, verified, expected)


def demo_step(context, echo: Callable[[str], None]) -> None:
    """Analyse a synthetic wet-street video for the first camera, store it encrypted, run a sweep.

    Idempotent: the clip has a fixed id and is analysed and stored only once.
    """
    import tempfile
    from datetime import timedelta

    # Loaded here, not at the top: the video path pulls in OpenCV and
    # onnxruntime, which only this demo step needs.
    from hexops.democity.scenarios import RAINSTORM
    from hexops.ingest.video.pipeline import analyse_video, build_analyser, ingest_video_events
    from hexops.ingest.video.synthetic import street_frame, write_street_video
    from hexops.detectors.runners import build_detector

    uow = context.uow()
    with uow:
        camera = uow.vault.first_active_camera()
        exists = uow.vault.clip(DEMO_CLIP) is not None
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
            with uow:
                open_vault(context.settings).put(uow.conn, video, camera_id=camera, recorded_at=stored_at,
                                                 stored_by="system:demo", clip_id=DEMO_CLIP)
                uow.commit()
        echo(f"  vault: stored encrypted clip {DEMO_CLIP} (try `hexops vault get {DEMO_CLIP} --user <commander> "
             "--reason ... --out clip.avi`)")
    result = run_retention(context.uow(), open_vault(context.settings), keys.load_signing_key(context.settings))
    echo(f"  vault: retention sweep shredded {result.keys_destroyed} keys, deleted {result.clips_deleted} clips")


def model_registry(settings) -> list[dict[str, Any]]:
    """The detector registry with each model file's presence (for the admin page)."""
    from hexops.detectors.registry import Registry

    return Registry.for_settings(settings).status()
