"""Retention against a real PostGIS: crypto-shredding, holds, crashes and signed receipts."""

from __future__ import annotations

import io
import os
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hexops.geodata import vault as q
from hexops.vault import crypto, receipts
from hexops.vault.errors import KeyDestroyed, TamperedClip
from hexops.vault.holds import place_hold, release_hold
from hexops.vault.keys import public_key_hex
from hexops.vault.retention import run_retention
from hexops.vault.store import key_context
from tests.fixtures.auth import uow_for

RECORDED = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
BEFORE_EXPIRY = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
AFTER_EXPIRY = datetime(2026, 12, 2, 0, 0, tzinfo=timezone.utc)  # Nov 1 + 1 + 30 days


class Crash(RuntimeError):
    pass


@pytest.fixture
def signing_key():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def clips(vault_db, test_vault, tmp_path):
    """Two clips of CAM-1 on the same day (one will be held) and one of CAM-2; returns {name: (id, bytes)}."""
    made = {}
    with psycopg.connect(vault_db) as conn:
        for name, camera in (("kept", "CAM-1"), ("doomed", "CAM-1"), ("other", "CAM-2")):
            data = os.urandom(9_000)
            source = tmp_path / f"{name}.avi"
            source.write_bytes(data)
            clip_id = test_vault.put(conn, source, camera_id=camera, recorded_at=RECORDED,
                                     stored_by="gw", now=BEFORE_EXPIRY, clip_id=name)
            made[name] = (clip_id, data)
    return made


def hold(url, vault, clip_ids, **kw):
    with psycopg.connect(url) as conn:
        placed = place_hold(vault, conn, case_id="CASE-7", clip_ids=clip_ids, user="ada",
                            reason="assault on 1 Nov", now=BEFORE_EXPIRY, **kw)
        conn.commit()
        placed.remove_superseded()
        return placed.hold_id


def sweep(url, vault, signing_key, now=AFTER_EXPIRY, **kw):
    with psycopg.connect(url) as conn:
        return run_retention(conn, vault, signing_key, now=now, batch=2, **kw)


def get(url, vault, clip_id, out, now=AFTER_EXPIRY):
    return vault.get(uow_for(url), clip_id, out, user="ada", reason="case review", now=now)


def snapshot(url, vault, clip_id):
    """A copy of the clip's file and database row, as a backup or a thief would take it."""
    with psycopg.connect(url) as conn:
        row = q.clip(conn, clip_id)
    return row, vault.path_of(row["path"]).read_bytes()


def every_live_key(url, vault):
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT kind, camera_id, day, hold_id, kek_id, wrapped, period FROM vault_keys").fetchall()
    return [vault.kek.unwrap(bytes(w), key_context({"key_kind": kind, "camera_id": cam, "day": day,
                                                      "hold_id": hold_id}), kek_id,
                             period_key=vault.keystore.get(period))
            for kind, cam, day, hold_id, kek_id, w, period in rows]


def assert_undecryptable(url, vault, row, blob):
    """Neither the vault nor any key left in the database opens the copied clip."""
    with pytest.raises(KeyDestroyed):
        vault.unwrap_clip_key({**row, "wrapped": None})
    for key in every_live_key(url, vault):
        with pytest.raises(TamperedClip):
            crypto.decrypt_stream(key, row["clip_id"], io.BytesIO(blob), io.BytesIO())


def test_after_expiry_a_clip_cannot_be_decrypted_even_from_a_copy_taken_before_the_run(
        vault_db, test_vault, clips, signing_key, tmp_path):
    row, blob = snapshot(vault_db, test_vault, "doomed")
    result = sweep(vault_db, test_vault, signing_key)
    assert result.clips_deleted == 3 and result.keys_destroyed == 2
    assert not test_vault.path_of(row["path"]).exists()
    assert_undecryptable(vault_db, test_vault, row, blob)
    with pytest.raises(Exception, match="not in the vault"):
        get(vault_db, test_vault, "doomed", tmp_path / "out.avi")


def test_a_clip_inside_retention_survives_a_sweep_untouched(vault_db, test_vault, clips, signing_key, tmp_path):
    result = sweep(vault_db, test_vault, signing_key, now=BEFORE_EXPIRY)
    assert (result.keys_destroyed, result.clips_deleted) == (0, 0)
    get(vault_db, test_vault, "doomed", tmp_path / "out.avi", now=BEFORE_EXPIRY)
    assert (tmp_path / "out.avi").read_bytes() == clips["doomed"][1]


def test_a_held_clip_survives_expiry_while_its_day_key_is_shredded(vault_db, test_vault, clips, signing_key, tmp_path):
    hold(vault_db, test_vault, ["kept"])
    doomed_row, doomed_blob = snapshot(vault_db, test_vault, "doomed")
    sweep(vault_db, test_vault, signing_key)
    get(vault_db, test_vault, "kept", tmp_path / "kept.avi")
    assert (tmp_path / "kept.avi").read_bytes() == clips["kept"][1]
    assert_undecryptable(vault_db, test_vault, doomed_row, doomed_blob)


def test_a_released_hold_lets_its_clips_expire_on_the_next_run(vault_db, test_vault, clips, signing_key, tmp_path):
    hold_id = hold(vault_db, test_vault, ["kept"])
    sweep(vault_db, test_vault, signing_key)
    row, blob = snapshot(vault_db, test_vault, "kept")
    with psycopg.connect(vault_db) as conn:
        release_hold(test_vault, conn, hold_id, user="root", reason="case closed")
    result = sweep(vault_db, test_vault, signing_key)
    assert result.clips_deleted == 1
    assert result.signed["receipt"]["holds_shredded"] == [hold_id]
    assert_undecryptable(vault_db, test_vault, row, blob)


def test_a_hold_with_an_end_date_lapses_by_itself(vault_db, test_vault, clips, signing_key):
    hold(vault_db, test_vault, ["kept"], until=AFTER_EXPIRY + timedelta(days=3))
    assert sweep(vault_db, test_vault, signing_key).clips_deleted == 2
    assert sweep(vault_db, test_vault, signing_key, now=AFTER_EXPIRY + timedelta(days=4)).clips_deleted == 1


def test_a_crash_after_shredding_leaves_no_readable_expired_clip_and_keeps_the_held_one(
        vault_db, test_vault, clips, signing_key, tmp_path):
    hold(vault_db, test_vault, ["kept"])
    doomed_row, doomed_blob = snapshot(vault_db, test_vault, "doomed")

    def crash(step):
        if step == "keys":
            raise Crash(step)

    with pytest.raises(Crash):
        sweep(vault_db, test_vault, signing_key, after_step=crash)
    assert test_vault.path_of(doomed_row["path"]).exists()  # the file outlived the crash...
    with pytest.raises(KeyDestroyed):                      # ...but nothing opens it
        get(vault_db, test_vault, "doomed", tmp_path / "d.avi")
    assert_undecryptable(vault_db, test_vault, doomed_row, doomed_blob)
    get(vault_db, test_vault, "kept", tmp_path / "kept.avi")
    result = sweep(vault_db, test_vault, signing_key)
    assert (result.keys_destroyed, result.clips_deleted) == (0, 2)
    assert not test_vault.path_of(doomed_row["path"]).exists()
    get(vault_db, test_vault, "kept", tmp_path / "kept2.avi")


def test_a_crash_while_deleting_files_is_finished_by_the_next_run(vault_db, test_vault, clips, signing_key):
    def crash(step):
        if step == "clips":
            raise Crash(step)

    with pytest.raises(Crash):
        sweep(vault_db, test_vault, signing_key, after_step=crash)
    with psycopg.connect(vault_db) as conn:
        assert conn.execute("SELECT count(*) FROM vault_clips").fetchone()[0] == 0
        assert q.last_audit(conn, "retention.run") is None
    assert sweep(vault_db, test_vault, signing_key).clips_deleted == 0


def test_each_run_writes_a_receipt_to_the_audit_log_that_verifies_with_the_signing_key(
        vault_db, test_vault, clips, signing_key):
    result = sweep(vault_db, test_vault, signing_key)
    with psycopg.connect(vault_db) as conn:
        entry = q.last_audit(conn, "retention.run")
    assert entry["audit_id"] == result.audit_id and entry["actor"] == "system:retention"
    assert receipts.verify(entry["details"], public_key_hex(signing_key))
    receipt = entry["details"]["receipt"]
    assert receipt["clip_ids_sha256"] == receipts.digest(["kept", "doomed", "other"])
    assert receipt["day_keys_by_day"] == {"2026-11-01": 2}


def test_a_hold_on_a_missing_clip_is_rolled_back_and_leaves_the_others_as_they_were(
        vault_db, test_vault, clips, tmp_path):
    with psycopg.connect(vault_db) as conn, pytest.raises(Exception, match="CASE-7: clip ghost"):
        place_hold(test_vault, conn, case_id="CASE-7", clip_ids=["kept", "ghost"], user="ada",
                   reason="r", now=BEFORE_EXPIRY)
    with psycopg.connect(vault_db) as conn:
        assert conn.execute("SELECT count(*) FROM vault_holds").fetchone()[0] == 0
        assert q.clip(conn, "kept")["hold_id"] is None
    assert not list(test_vault.root.rglob("*.h*.hxv"))
    get(vault_db, test_vault, "kept", tmp_path / "k.avi", now=BEFORE_EXPIRY)


def test_a_partner_cannot_place_a_hold(vault_db, test_vault, clips):
    with psycopg.connect(vault_db) as conn, pytest.raises(Exception, match="role 'partner'"):
        place_hold(test_vault, conn, case_id="C", clip_ids=["kept"], user="pat", reason="r", now=BEFORE_EXPIRY)


def test_a_clip_in_two_cases_survives_until_both_holds_end(vault_db, test_vault, clips, signing_key, tmp_path):
    first = hold(vault_db, test_vault, ["kept"])
    with psycopg.connect(vault_db) as conn:
        placed = place_hold(test_vault, conn, case_id="CASE-9", clip_ids=["kept"], user="ada",
                            reason="second case", now=BEFORE_EXPIRY)
    assert placed.superseded == []  # already out of the day key's reach: not re-encrypted again
    with psycopg.connect(vault_db) as conn:
        release_hold(test_vault, conn, first, user="root", reason="case 7 closed")
    assert sweep(vault_db, test_vault, signing_key).signed["receipt"]["holds_shredded"] == []
    get(vault_db, test_vault, "kept", tmp_path / "kept.avi")   # still under hold 1's key, kept by hold 2
    assert (tmp_path / "kept.avi").read_bytes() == clips["kept"][1]
    with psycopg.connect(vault_db) as conn:
        release_hold(test_vault, conn, placed.hold_id, user="root", reason="case 9 closed")
    result = sweep(vault_db, test_vault, signing_key)
    assert result.clips_deleted == 1
    assert result.signed["receipt"]["holds_shredded"] == sorted([first, placed.hold_id])


def test_an_owner_with_shorter_retention_loses_its_clips_first(vault_db, test_vault, clips, signing_key):
    with psycopg.connect(vault_db) as conn:
        q.set_keep_days(conn, "HD", 7)
    result = sweep(vault_db, test_vault, signing_key, now=datetime(2026, 11, 9, tzinfo=timezone.utc))
    assert result.clips_deleted == 1
    with psycopg.connect(vault_db) as conn:
        assert q.clip(conn, "other") is None and q.clip(conn, "doomed") is not None


_KILLED_RUN = """
import os, sys, time, pathlib, psycopg
from datetime import datetime
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hexops.geodata import audit
from hexops.vault.keys import Kek
from hexops.vault.keystore import KeyStore
from hexops.vault.retention import run_retention
from hexops.vault.store import Vault

url, root, keystore, kek_hex, now, marker = sys.argv[1:7]
vault = Vault(pathlib.Path(root), Kek(bytes.fromhex(kek_hex), "test-kek"), KeyStore(pathlib.Path(keystore)))
audit.use_seal_key(bytes(range(32)))

def stall(step):
    if step == "keys":
        pathlib.Path(marker).write_text("keys destroyed")
        time.sleep(120)

with psycopg.connect(url) as conn:
    run_retention(conn, vault, Ed25519PrivateKey.generate(), now=datetime.fromisoformat(now), after_step=stall)
"""


def test_a_retention_process_killed_mid_run_leaves_expired_clips_unreadable_and_held_ones_intact(
        vault_db, test_vault, clips, signing_key, tmp_path):
    import subprocess
    import sys
    import time
    from pathlib import Path

    hold(vault_db, test_vault, ["kept"])
    doomed_row, doomed_blob = snapshot(vault_db, test_vault, "doomed")
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_RUN, vault_db, str(test_vault.root), str(test_vault.keystore.directory),
         test_vault.kek.key.hex(),
         AFTER_EXPIRY.isoformat(), str(marker)],
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), f"the retention subprocess never reached its first step (rc={proc.poll()})"
    finally:
        proc.kill()
        proc.wait()
    assert test_vault.path_of(doomed_row["path"]).exists()
    assert_undecryptable(vault_db, test_vault, doomed_row, doomed_blob)
    get(vault_db, test_vault, "kept", tmp_path / "kept.avi")
    assert (tmp_path / "kept.avi").read_bytes() == clips["kept"][1]
    result = sweep(vault_db, test_vault, signing_key)  # the lock died with the process
    assert result.clips_deleted == 2 and not test_vault.path_of(doomed_row["path"]).exists()
