"""Recovering shredded footage from the database's own files (issue 10, finding 8).

As found: after ``retention run`` the destroyed day key's wrapped bytes were
still in ``pg_wal``; unwrapped with the unchanged key-encryption key they
decrypted a copy of the clip, and backups carried the same keys.

The attacker here has everything but the period-key store as it is after the
sweep: a copy of the whole cluster directory (heap, WAL, everything) and of
the clip files taken before the run, and the KEK.  The copy is started as a
cluster of its own and every wrapped key in it is tried.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import datetime, timezone

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hexops.geodata import migrate
from hexops.geodata.cluster import PrivateCluster, free_port
from hexops.geodata.cluster_auth import APP
from hexops.vault import crypto
from hexops.vault.errors import KeyDestroyed, TamperedClip, WrongKek
from hexops.vault.holds import place_hold
from hexops.vault.keys import Kek
from hexops.vault.keystore import KeyStore
from hexops.vault.retention import run_retention
from hexops.vault.store import Vault, key_context
from tests.fixtures.auth import create_user
from tests.fixtures.vault import add_camera

RECORDED = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
BEFORE_EXPIRY = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
AFTER_EXPIRY = datetime(2026, 12, 2, 0, 0, tzinfo=timezone.utc)


def _copy_cluster(source: PrivateCluster, root) -> PrivateCluster:
    """The stopped ``source`` cluster's files (data, WAL, passwords) copied as a thief would, ready to start."""
    copy = PrivateCluster(root, port=free_port(), throwaway=True)
    copy._prepare_root()
    # cp -a keeps the owner and modes the server insists on (the postgres user's, when run as root).
    subprocess.run(["cp", "-a", str(source.data_dir), str(copy.data_dir)], check=True)
    shutil.copytree(source.secrets.directory, copy.secrets.directory)
    return copy


@pytest.fixture
def world(tmp_path):
    """A cluster of its own holding two clips of one camera-day, one under an evidence hold."""
    cluster = PrivateCluster(tmp_path / "pg", throwaway=True)
    migrate.apply_all(cluster.start(), app_role=APP)
    url = cluster.url(role="app")
    create_user(url, "ada", "commander")
    with psycopg.connect(url) as conn:
        add_camera(conn, "CAM-1")
    vault = Vault(tmp_path / "clips", Kek(os.urandom(32), "kek"), KeyStore(tmp_path / "keystore"))
    clips = {}
    with psycopg.connect(url) as conn:
        for name in ("doomed", "kept"):
            source = tmp_path / f"{name}.avi"
            source.write_bytes(os.urandom(20_000))
            clips[name] = source.read_bytes()
            vault.put(conn, source, camera_id="CAM-1", recorded_at=RECORDED, stored_by="gw", now=BEFORE_EXPIRY,
                      clip_id=name)
        conn.commit()
        placed = place_hold(vault, conn, case_id="HK-2026-118", clip_ids=["kept"], user="ada", reason="court order",
                            now=BEFORE_EXPIRY)
        conn.commit()
        placed.remove_superseded()
    yield cluster, url, vault, clips
    cluster.destroy()


def _wrapped_keys(url: str) -> list[dict]:
    with psycopg.connect(url) as conn:
        cur = conn.cursor(row_factory=psycopg.rows.dict_row)
        return cur.execute("SELECT c.clip_id, c.path, k.kind AS key_kind, k.camera_id, k.day, k.hold_id, k.kek_id, "
                           "k.wrapped, k.period FROM vault_clips c JOIN vault_keys k USING (key_id)").fetchall()


def _decrypts(row: dict, kek: Kek, period_key: bytes | None, blob: bytes) -> bytes | None:
    try:
        data_key = kek.unwrap(bytes(row["wrapped"]), key_context(row), row["kek_id"], period_key=period_key)
        out = io.BytesIO()
        crypto.decrypt_stream(data_key, row["clip_id"], io.BytesIO(blob), out)
        return out.getvalue()
    except (WrongKek, TamperedClip):
        return None


def test_a_copy_of_the_cluster_and_the_kek_taken_before_retention_opens_the_held_clip_only(world, tmp_path):
    cluster, url, vault, clips = world
    cluster.stop()
    stolen = _copy_cluster(cluster, tmp_path / "stolen" / "pg")
    stolen_files = {p.name: p.read_bytes() for p in vault.root.rglob("*.hxv")}
    stolen_kek = Kek(vault.kek.key, "stolen copy of the KEK")
    cluster.start()
    with psycopg.connect(url) as conn:
        result = run_retention(conn, vault, Ed25519PrivateKey.generate(), now=AFTER_EXPIRY)
    assert result.clips_deleted == 1 and result.signed["receipt"]["period_keys_destroyed"] == 1

    stolen.start()
    try:
        rows = {r["clip_id"]: r for r in _wrapped_keys(stolen.url(role="super"))}
    finally:
        stolen.stop("immediate")
    doomed, kept = rows["doomed"], rows["kept"]
    doomed_blob = stolen_files["doomed.hxv"]
    kept_blob = next(blob for name, blob in stolen_files.items() if name.startswith("kept.h"))

    # The stolen copy still holds the shredded day key's wrapped bytes...
    assert doomed["key_kind"] == "day" and doomed["wrapped"]
    # ...but its period key is gone from the key store, and nothing else unwraps it: not the KEK
    # alone (as before period keys), not the KEK with any period key the store still holds.
    with pytest.raises(KeyDestroyed):
        vault.keystore.get(doomed["period"])
    survivors = [vault.keystore.get(p) for p in vault.keystore.periods()]
    assert survivors, "the hold's period key must still be there"
    for period_key in [None, *survivors]:
        assert _decrypts(doomed, stolen_kek, period_key, doomed_blob) is None

    # The held clip, re-keyed under the hold, opens from the same stolen copy.
    assert kept["key_kind"] == "hold"
    assert _decrypts(kept, stolen_kek, vault.keystore.get(kept["period"]), kept_blob) == clips["kept"]


def test_the_period_key_store_is_private_and_loses_exactly_the_expired_periods(world):
    cluster, url, vault, _ = world
    store = vault.keystore.directory
    before = vault.keystore.periods()
    assert oct(store.stat().st_mode & 0o777) == "0o700"
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in store.iterdir())
    with psycopg.connect(url) as conn:
        run_retention(conn, vault, Ed25519PrivateKey.generate(), now=AFTER_EXPIRY)
    assert before == ["day:HKPF:2026-11-01", "hold:1"]
    assert vault.keystore.periods() == ["hold:1"]
