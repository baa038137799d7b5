"""Putting and getting clips against a real PostGIS: audited, role-checked, tamper-evident."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from hexops.geodata import vault as q
from hexops.vault.errors import AccessDenied, TamperedClip, VaultError, WrongKek
from hexops.vault.keys import Kek
from hexops.vault.rotation import rotate_kek
from hexops.vault.store import Vault
from tests.fixtures.auth import uow_for

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
RECORDED = NOW - timedelta(hours=3)


@pytest.fixture
def clip_file(tmp_path):
    path = tmp_path / "segment.avi"
    path.write_bytes(os.urandom(10_000))
    return path


def put(url, vault, path, camera="CAM-1", recorded=RECORDED, clip_id=None):
    with psycopg.connect(url) as conn:
        return vault.put(conn, path, camera_id=camera, recorded_at=recorded, stored_by="gw",
                         now=NOW, clip_id=clip_id)


def audit_actions(url, action):
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT actor, target, reason FROM audit_log WHERE action = %s ORDER BY audit_id", (action,)
        ).fetchall()


def test_a_commander_gets_back_exactly_the_clip_that_was_put_and_the_view_is_audited(
        vault_db, test_vault, clip_file, tmp_path):
    clip_id = put(vault_db, test_vault, clip_file)
    stored = test_vault.path_of(f"CAM-1/{RECORDED.date()}/{clip_id}.hxv").read_bytes()
    assert clip_file.read_bytes()[:64] not in stored
    out = tmp_path / "out.avi"
    test_vault.get(uow_for(vault_db), clip_id, out, user="ada", reason="incident 42 review", now=NOW)
    assert out.read_bytes() == clip_file.read_bytes()
    assert out.stat().st_mode & 0o777 == 0o600
    assert audit_actions(vault_db, "clip.view") == [("ada", clip_id, "incident 42 review")]


def test_a_partner_is_refused_a_clip_nothing_is_written_and_the_refusals_are_on_record(
        vault_db, test_vault, clip_file, tmp_path):
    clip_id = put(vault_db, test_vault, clip_file)
    out = tmp_path / "out.avi"
    with pytest.raises(AccessDenied, match="role 'partner'"):
        test_vault.get(uow_for(vault_db), clip_id, out, user="pat", reason="curious", now=NOW)
    with pytest.raises(AccessDenied, match="unknown"):
        test_vault.get(uow_for(vault_db), clip_id, out, user="mallory", reason="curious", now=NOW)
    assert not out.exists()
    assert audit_actions(vault_db, "clip.view") == []
    assert audit_actions(vault_db, "clip.refused") == [("pat", clip_id, "curious"), ("mallory", clip_id, "curious")]


def test_a_clip_for_an_unknown_camera_is_refused_and_leaves_no_file_or_row(vault_db, test_vault, clip_file):
    with pytest.raises(VaultError, match="camera 'CAM-9' is not in the cameras table"):
        put(vault_db, test_vault, clip_file, camera="CAM-9")
    assert not test_vault.root.exists() or not any(test_vault.root.rglob("*.hxv"))


def test_footage_already_past_retention_is_not_stored(vault_db, test_vault, clip_file):
    with pytest.raises(VaultError, match="past retention"):
        put(vault_db, test_vault, clip_file, recorded=NOW - timedelta(days=40))


def test_a_failed_insert_removes_the_file_it_just_wrote(vault_db, test_vault, clip_file):
    put(vault_db, test_vault, clip_file, clip_id="dup")
    with pytest.raises(VaultError, match="already has a file"):
        put(vault_db, test_vault, clip_file, clip_id="dup")
    (test_vault.root / f"CAM-1/{RECORDED.date()}/dup.hxv").unlink()
    with pytest.raises(psycopg.errors.UniqueViolation):
        put(vault_db, test_vault, clip_file, clip_id="dup")
    assert not (test_vault.root / f"CAM-1/{RECORDED.date()}/dup.hxv").exists()


def test_clips_of_one_camera_day_share_one_wrapped_key(vault_db, test_vault, clip_file):
    put(vault_db, test_vault, clip_file)
    put(vault_db, test_vault, clip_file)
    put(vault_db, test_vault, clip_file, camera="CAM-2")
    with psycopg.connect(vault_db) as conn:
        assert conn.execute("SELECT count(*) FROM vault_keys WHERE kind = 'day'").fetchone()[0] == 2


def test_a_tampered_clip_file_is_refused_and_no_output_file_appears(vault_db, test_vault, clip_file, tmp_path):
    clip_id = put(vault_db, test_vault, clip_file)
    path = test_vault.path_of(f"CAM-1/{RECORDED.date()}/{clip_id}.hxv")
    blob = bytearray(path.read_bytes())
    blob[-100] ^= 0x01
    path.write_bytes(bytes(blob))
    out = tmp_path / "out.avi"
    with pytest.raises(TamperedClip, match="chunk 2"):
        test_vault.get(uow_for(vault_db), clip_id, out, user="ada", reason="review", now=NOW)
    assert not out.exists()
    assert not list(tmp_path.glob(".out.avi.*"))
    assert audit_actions(vault_db, "clip.view") == []
    assert [actor for actor, *_ in audit_actions(vault_db, "clip.tampered")] == ["ada"]


def test_a_wrong_kek_fails_clearly(vault_db, test_vault, clip_file, tmp_path):
    clip_id = put(vault_db, test_vault, clip_file)
    other = Vault(test_vault.root, Kek(os.urandom(32), "/etc/hexops/old-kek"), test_vault.keystore,
                  test_vault.role_lookup)
    with pytest.raises(WrongKek, match="/etc/hexops/old-kek"):
        other.get(uow_for(vault_db), clip_id, tmp_path / "out.avi", user="ada", reason="review", now=NOW)


def test_rotating_the_kek_rewraps_keys_only_and_the_old_kek_stops_working(vault_db, test_vault, clip_file, tmp_path):
    clip_id = put(vault_db, test_vault, clip_file)
    path = test_vault.path_of(f"CAM-1/{RECORDED.date()}/{clip_id}.hxv")
    before = path.read_bytes()
    new_kek = Kek(os.urandom(32), "new")
    with psycopg.connect(vault_db) as conn:
        assert rotate_kek(conn, test_vault.kek, new_kek, test_vault.keystore, actor="root") == 1
    assert path.read_bytes() == before
    rotated = Vault(test_vault.root, new_kek, test_vault.keystore, test_vault.role_lookup, test_vault.chunk_size)
    rotated.get(uow_for(vault_db), clip_id, tmp_path / "a.avi", user="ada", reason="after rotation", now=NOW)
    with pytest.raises(WrongKek):
        test_vault.get(uow_for(vault_db), clip_id, tmp_path / "b.avi", user="ada", reason="old kek", now=NOW)
    assert (tmp_path / "a.avi").read_bytes() == clip_file.read_bytes()


def test_a_rotation_with_the_wrong_old_kek_changes_nothing(vault_db, test_vault, clip_file):
    put(vault_db, test_vault, clip_file)
    with psycopg.connect(vault_db) as conn:
        before = conn.execute("SELECT wrapped FROM vault_keys").fetchall()
        with pytest.raises(WrongKek):
            rotate_kek(conn, Kek(os.urandom(32), "bogus"), Kek(os.urandom(32), "new"), test_vault.keystore,
                       actor="root")
        conn.rollback()
        assert conn.execute("SELECT wrapped FROM vault_keys").fetchall() == before


def test_the_per_owner_retention_sets_when_a_camera_day_expires(vault_db):
    with psycopg.connect(vault_db) as conn:
        q.set_keep_days(conn, "HD", 7)
        day = RECORDED.date()
        assert q.expiry(conn, "CAM-1", day) == datetime(2026, 12, 22, tzinfo=timezone.utc)
        assert q.expiry(conn, "CAM-2", day) == datetime(2026, 11, 29, tzinfo=timezone.utc)


def test_fsck_finds_old_orphan_files_and_rows_whose_file_is_gone(vault_db, test_vault, clip_file):
    import time

    from hexops.vault.fsck import MIN_ORPHAN_AGE_S, check

    kept = put(vault_db, test_vault, clip_file)
    lost = put(vault_db, test_vault, clip_file)
    test_vault.path_of(f"CAM-1/{RECORDED.date()}/{lost}.hxv").unlink()
    day_dir = test_vault.root / f"CAM-1/{RECORDED.date()}"
    orphan = day_dir / "deadbeef.h9.hxv"
    fresh = day_dir / ".x.hxv.123.part"
    orphan.write_bytes(b"ciphertext")
    fresh.write_bytes(b"being written")
    later = time.time() + MIN_ORPHAN_AGE_S / 2
    os.utime(orphan, (later - MIN_ORPHAN_AGE_S * 2, later - MIN_ORPHAN_AGE_S * 2))
    with psycopg.connect(vault_db) as conn:
        report = check(test_vault, conn, delete_orphans=True, now_s=later)
    assert report.orphans == [orphan] and report.removed == 1 and report.missing == [lost]
    assert not orphan.exists() and fresh.exists()
    assert test_vault.path_of(f"CAM-1/{RECORDED.date()}/{kept}.hxv").exists()


def test_a_new_day_key_waits_while_a_rotation_or_sweep_holds_the_vault_lock(vault_db, test_vault, clip_file):
    import threading

    done = threading.Event()
    with psycopg.connect(vault_db) as holder:
        q.lock(holder)
        holder.commit()
        worker = threading.Thread(target=lambda: (put(vault_db, test_vault, clip_file), done.set()))
        worker.start()
        assert not done.wait(1.0)          # blocked behind the lock...
        q.unlock(holder)
        holder.commit()
    worker.join(30)
    assert done.is_set()                   # ...and through once it is released


def test_the_view_is_on_record_before_any_plaintext_is_written(vault_db, test_vault, clip_file, tmp_path,
                                                                monkeypatch):
    clip_id = put(vault_db, test_vault, clip_file)
    out = tmp_path / "out.avi"
    seen_when_written: list = []

    from hexops.vault import store

    real_atomic_file = store.atomic_file

    def watched(final, mode=0o600):
        # The moment plaintext first touches the disk: the view must already be on record.
        seen_when_written.append(audit_actions(vault_db, "clip.view"))
        return real_atomic_file(final, mode)

    monkeypatch.setattr(store, "atomic_file", watched)
    test_vault.get(uow_for(vault_db), clip_id, out, user="ada", reason="review", now=NOW)
    assert seen_when_written == [[("ada", clip_id, "review")]]
