"""Every attempt to view footage on record, and plaintext only where its owner alone can read it (finding 9).

As found: a tampered-clip event was rolled back with the failed read; the
verified plaintext went to a world-readable ``.part`` file before the read
was audited; the output file was 0644; refused attempts left no trace.
"""

from __future__ import annotations

import os
import stat
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from hexops.vault import crypto
from hexops.vault.errors import AccessDenied, ClipNotFound, KeyDestroyed, TamperedClip, VaultError
from tests.fixtures.auth import uow_for

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)


def _put(db_url, vault, tmp_path, recorded=NOW - timedelta(hours=3), clip_id=None) -> str:
    source = tmp_path / f"{clip_id or 'clip'}.avi"
    source.write_bytes(os.urandom(12_000))
    with psycopg.connect(db_url) as conn:
        return vault.put(conn, source, camera_id="CAM-1", recorded_at=recorded, stored_by="gw", now=NOW,
                         clip_id=clip_id)


def _audit(db_url, action):
    # A separate connection: only committed rows are visible here.
    with psycopg.connect(db_url) as conn:
        return conn.execute("SELECT actor, target, details->>'error' FROM audit_log WHERE action = %s "
                            "ORDER BY chain_seq", (action,)).fetchall()


def _get(db_url, vault, clip_id, out, user="ada", reason="incident 42 review", now=NOW):
    return vault.get(uow_for(db_url), clip_id, out, user=user, reason=reason, now=now)


def test_a_tampered_clip_is_on_record_although_the_read_fails(vault_db, test_vault, tmp_path):
    clip_id = _put(vault_db, test_vault, tmp_path)
    path = next(test_vault.root.rglob(f"{clip_id}.hxv"))
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x40
    path.write_bytes(bytes(blob))
    out_dir = tmp_path / "out"
    with pytest.raises(TamperedClip):
        _get(vault_db, test_vault, clip_id, out_dir / "clip.avi")
    assert _audit(vault_db, "clip.tampered") == [("ada", clip_id, None)]
    assert _audit(vault_db, "clip.view") == []
    assert not out_dir.exists() or list(out_dir.iterdir()) == []


def test_plaintext_is_written_only_after_the_view_commits_and_only_into_a_0600_file(
        vault_db, test_vault, tmp_path, monkeypatch):
    clip_id = _put(vault_db, test_vault, tmp_path)
    seen = []
    real = crypto.decrypt_stream

    def watching(key, cid, src, dst):
        if hasattr(dst, "fileno"):  # a real file: plaintext is about to reach the disk
            seen.append((stat.S_IMODE(os.fstat(dst.fileno()).st_mode), _audit(vault_db, "clip.view")))
        return real(key, cid, src, dst)

    monkeypatch.setattr(crypto, "decrypt_stream", watching)
    old_umask = os.umask(0)  # the most permissive umask a caller could have
    try:
        _get(vault_db, test_vault, clip_id, tmp_path / "clip.avi")
    finally:
        os.umask(old_umask)
    assert seen == [(0o600, [("ada", clip_id, None)])]
    assert stat.S_IMODE((tmp_path / "clip.avi").stat().st_mode) == 0o600


@pytest.mark.parametrize("case", ["partner", "unknown user", "no reason", "unknown clip", "expired"])
def test_every_refused_attempt_is_on_record(vault_db, test_vault, tmp_path, case):
    clip_id = _put(vault_db, test_vault, tmp_path)
    user, reason, target, now, error = "ada", "incident 42 review", clip_id, NOW, VaultError
    if case == "partner":
        user, error = "pat", AccessDenied
    elif case == "unknown user":
        user, error = "mallory", AccessDenied
    elif case == "no reason":
        reason = "  "
    elif case == "unknown clip":
        target, error = "no-such-clip", ClipNotFound
    elif case == "expired":
        now, error = NOW + timedelta(days=40), KeyDestroyed  # past retention, not yet swept
    with pytest.raises(error):
        _get(vault_db, test_vault, target, tmp_path / "out.avi", user=user, reason=reason, now=now)
    assert _audit(vault_db, "clip.refused") == [(user, target, error.__name__)]
    assert not (tmp_path / "out.avi").exists()
