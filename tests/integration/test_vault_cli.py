"""The vault and retention commands end to end: real PostGIS, real accounts, real files."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from hexops.cli import build_cli
from tests.conftest import TEST_AUDIT_KEY
from tests.fixtures.auth import create_user


@pytest.fixture
def hexops(vault_db, tmp_path, monkeypatch):
    """Run ``hexops ...`` in-process against the test database; returns (exit code, output)."""
    monkeypatch.setenv("HEXOPS_DATABASE_URL", vault_db)
    monkeypatch.setenv("HEXOPS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HEXOPS_AUDIT_KEY", TEST_AUDIT_KEY.hex())
    for name in ("HEXOPS_VAULT_KEK", "HEXOPS_VAULT_KEK_FILE", "HEXOPS_USER", "HEXOPS_VAULT_DIR"):
        monkeypatch.delenv(name, raising=False)
    create_user(vault_db, "ada", "commander")
    create_user(vault_db, "pat", "partner", department="DSD")
    runner = CliRunner()

    def run(*args: str, env: dict | None = None):
        result = runner.invoke(build_cli(), list(args), env=env, catch_exceptions=False)
        return result.exit_code, result.output

    return run


def test_put_get_hold_release_and_expire_a_clip_from_the_command_line(hexops, tmp_path):
    video = tmp_path / "clip.avi"
    video.write_bytes(os.urandom(5000))
    code, out = hexops("vault", "put", str(video), "--camera", "CAM-1", "--recorded-at", "2026-11-01T09:00:00+08:00")
    assert code == 0, out
    clip_id = out.strip().splitlines()[-1]

    code, out = hexops("vault", "list", "--camera", "CAM-1")
    assert code == 0 and clip_id in out and "2026-11-01 01:00:00+00:00" in out, out
    code, out = hexops("vault", "get", clip_id, "--reason", "incident 9", "--out", str(tmp_path / "o.avi"),
                       "--user", "ada")
    assert code == 0, out
    assert (tmp_path / "o.avi").read_bytes() == video.read_bytes()

    code, out = hexops("vault", "get", clip_id, "--reason", "x", "--out", str(tmp_path / "p.avi"), "--user", "pat")
    assert code == 1 and "role 'partner'" in out and not (tmp_path / "p.avi").exists()

    code, out = hexops("vault", "hold", "place", clip_id, "--case", "HK-2026-118", "--reason", "court order",
                       "--user", "ada")
    assert code == 0, out
    hold_id = out.split()[1]
    files = sorted(p.name for p in (tmp_path / "state" / "vault" / "clips").rglob("*.hxv"))
    assert files == [f"{clip_id}.h{hold_id}.hxv"]   # re-keyed; the day-key copy removed after commit
    code, out = hexops("vault", "hold", "list")
    assert "HK-2026-118" in out

    code, out = hexops("retention", "run", "--now", "2027-01-01T00:00:00Z")
    assert code == 0 and '"clips_deleted": 0' in out, out
    code, out = hexops("vault", "hold", "release", hold_id, "--reason", "case closed", "--user", "ada")
    assert code == 0, out
    code, out = hexops("retention", "run", "--now", "2027-01-01T00:00:00Z")
    assert code == 0 and '"clips_deleted": 1' in out, out

    code, out = hexops("vault", "get", clip_id, "--reason", "again", "--out", str(tmp_path / "q.avi"), "--user", "ada")
    assert code == 1 and "not in the vault" in out
    code, out = hexops("retention", "status")
    assert code == 0 and '"last_sweep_signature_valid": true' in out


def test_a_wrong_kek_in_the_environment_fails_clearly(hexops, tmp_path):
    video = tmp_path / "clip.avi"
    video.write_bytes(b"frames")
    code, out = hexops("vault", "put", str(video), "--camera", "CAM-1", "--recorded-at", "2026-11-20T09:00:00Z")
    clip_id = out.strip().splitlines()[-1]
    code, out = hexops("vault", "get", clip_id, "--reason", "r", "--out", str(tmp_path / "o.avi"), "--user", "ada",
                       env={"HEXOPS_VAULT_KEK": "11" * 32})
    assert code == 1 and "wrapped by KEK" in out and "HEXOPS_VAULT_KEK" in out


def test_a_time_without_an_offset_is_refused_naming_the_option(hexops, tmp_path):
    video = tmp_path / "clip.avi"
    video.write_bytes(b"frames")
    code, out = hexops("vault", "put", str(video), "--camera", "CAM-1", "--recorded-at", "2026-11-20T09:00:00")
    assert code != 0 and "--recorded-at" in out and "UTC offset" in out


def test_the_demo_step_analyses_and_stores_a_clip_once_and_runs_a_sweep(vault_db, tmp_path):
    import psycopg

    from hexops.bootstrap import AppContext
    from hexops.democity.scenarios import RAINSTORM
    from hexops.services import vault as svc
    from hexops.settings import Settings

    context = AppContext(Settings(state_dir=tmp_path / "state", database_url=vault_db))
    said: list[str] = []
    try:
        svc.demo_step(context, said.append)
        svc.demo_step(context, said.append)
    finally:
        context.close()
    with psycopg.connect(vault_db) as conn:
        assert conn.execute("SELECT count(*) FROM vault_clips").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'retention.run'").fetchone()[0] == 2
        assert conn.execute("SELECT sum(wet_s) > 0 FROM detections_camera_minute").fetchone()[0]
        first, last = conn.execute("SELECT min(minute), max(minute) FROM detections_camera_minute").fetchone()
    assert sum("detection events" in line for line in said) == 1
    # Inside the demo's window, so the live pages never step from October to today.
    assert RAINSTORM.start <= first and last <= RAINSTORM.end


def test_rotating_the_kek_from_the_command_line_keeps_clips_readable_under_the_new_key_only(hexops, tmp_path):
    video = tmp_path / "clip.avi"
    video.write_bytes(os.urandom(3000))
    code, out = hexops("vault", "put", str(video), "--camera", "CAM-1", "--recorded-at", "2026-11-20T09:00:00Z")
    clip_id = out.strip().splitlines()[-1]
    new_kek = tmp_path / "kek-2027"
    code, out = hexops("vault", "rotate-kek", "--generate", "--new-kek-file", str(new_kek), "--user", "root")
    assert code == 0 and "re-wrapped 1 key(s)" in out, out
    assert new_kek.stat().st_mode & 0o777 == 0o600
    code, out = hexops("vault", "get", clip_id, "--reason", "r", "--out", str(tmp_path / "new.avi"), "--user", "ada",
                       env={"HEXOPS_VAULT_KEK_FILE": str(new_kek)})
    assert code == 0 and (tmp_path / "new.avi").read_bytes() == video.read_bytes(), out
    code, out = hexops("vault", "get", clip_id, "--reason", "r", "--out", str(tmp_path / "old.avi"), "--user", "ada")
    assert code == 1 and "wrapped by KEK" in out


def test_the_retention_worker_sweeps_on_start_and_stops_cleanly_on_sigterm(vault_db, tmp_path):
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    import psycopg

    env = {**os.environ, "HEXOPS_DATABASE_URL": vault_db, "HEXOPS_STATE_DIR": str(tmp_path / "state"),
           "HEXOPS_AUDIT_KEY": TEST_AUDIT_KEY.hex()}
    proc = subprocess.Popen([sys.executable, "-c", "from hexops.cli import main; main()", "retention", "worker",
                             "--every", "1h"], env=env, cwd=Path(__file__).resolve().parents[2],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        runs = 0
        while runs == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
            with psycopg.connect(vault_db) as conn:
                runs = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'retention.run'").fetchone()[0]
        assert runs == 1
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and "retention worker stopped" in output


def test_retention_is_set_per_camera_owner_from_the_command_line_and_audited(hexops, vault_db):
    import psycopg

    code, out = hexops("retention", "policy", "--owner", "HD", "--days", "7", "--user", "root")
    assert code == 0 and "HD\t7 days" in out and "*\t30 days" in out, out
    code, out = hexops("retention", "policy", "--owner", "NOPE", "--days", "7")
    assert code == 1 and "'NOPE' is not a department code" in out
    code, out = hexops("retention", "policy", "--owner", "HD", "--days", "0")
    assert code == 1 and "--days: 0 is outside" in out
    with psycopg.connect(vault_db) as conn:
        assert conn.execute("SELECT actor, target FROM audit_log WHERE action = 'retention.policy'").fetchall() == [
            ("root", "HD")]
