"""The background jobs run with no page open, under a supervisor that restarts a killed worker.

A small demo city with the rainstorm afternoon is loaded; the product clock
is held inside the storm; a supervisor runs ``hexops worker`` processes.
Nothing opens a page: the flood machines step, crews are planned, the flood
alert reaches the partner's endpoint, and every job records its runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from hexops.democity import scenarios
from hexops.geodata.uow import UnitOfWork
from hexops.services import clock, jobs, webhooks
from tests.fixtures.auth import grant_layers

RS = scenarios.RAINSTORM
ROOT = Path(__file__).resolve().parents[2]
_SUPERVISE = (
    "import sys; from hexops.jobs.supervisor import Child, Supervisor; "
    "n = int(sys.argv[1]); extra = sys.argv[2:]; "
    "Supervisor([Child(f'worker-{k + 1}', [sys.executable, '-m', 'hexops', 'worker', '--idle-sleep', '0.2', *extra]) "
    "for k in range(n)]).run(poll_s=0.1)"
)


def _supervise(url: str, state_dir: Path, workers: int, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "HEXOPS_DATABASE_URL": url, "HEXOPS_STATE_DIR": str(state_dir)}
    return subprocess.Popen([sys.executable, "-c", _SUPERVISE, str(workers), *extra], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    return out


def _wait(condition, timeout_s: float, what: str, proc: subprocess.Popen):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    output = _stop(proc) if proc.poll() is None else proc.communicate()[0]
    pytest.fail(f"{what} did not happen within {timeout_s:.0f} s; supervisor output:\n{output[-4000:]}")


def _flood_cursor(url: str):
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT as_of FROM alert_cursors WHERE job = 'flood'").fetchone()
    return row[0] if row else None


def _running_worker(url: str) -> str | None:
    """The worker of the job run in progress, if one is."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT worker FROM job_runs WHERE outcome = 'running'").fetchone()
    return row[0] if row else None


def test_with_no_page_open_the_workers_raise_the_storms_flood_alert_and_push_it_to_the_partner(
        storm_db, receiver, tmp_path):
    endpoint = receiver(failures=0)
    grant_layers(storm_db, "DSD", ["flood_alerts"])
    webhooks.add_endpoint(UnitOfWork.for_url(storm_db), "DSD", endpoint.url, actor="test")
    held = RS.flood_start + timedelta(minutes=40)
    clock.set_scenario(UnitOfWork.for_url(storm_db), held, stop_at=held, actor="test")
    proc = _supervise(storm_db, tmp_path, 2)
    try:
        _wait(lambda: endpoint.received, 180, "a flood alert reaching the partner", proc)
        states = _wait(lambda: [s for s in jobs.status(UnitOfWork.for_url(storm_db)) if s.last_success] if all(
            s.last_success for s in jobs.status(UnitOfWork.for_url(storm_db))) else None,
            60, "every job succeeding once", proc)
    finally:
        output = _stop(proc)
    assert "every process stopped" in output
    assert {s.name for s in states} >= {"crowd.step", "flood.step", "webhooks.deliver", "partitions.maintain"}
    assert not any(s.stale for s in states)
    body = endpoint.received[0][1].decode()
    assert '"state": "flooded"' in body or '"state":"flooded"' in body
    cursor = _flood_cursor(storm_db)
    # The machines stepped to the settled clock, never past it.
    assert held - timedelta(minutes=5) <= cursor <= held


def test_a_worker_killed_mid_run_is_restarted_and_the_machine_resumes_where_its_last_step_committed(
        storm_db, tmp_path):
    start = RS.start - timedelta(hours=1)
    end = RS.end + timedelta(hours=1)
    with psycopg.connect(storm_db) as conn:
        conn.execute("INSERT INTO alert_cursors (job, as_of) VALUES ('flood', %s)", (start,))
    clock.set_scenario(UnitOfWork.for_url(storm_db), end, stop_at=end, actor="test")
    proc = _supervise(storm_db, tmp_path, 1, "--job", "flood.step")
    try:
        _wait(lambda: (c := _flood_cursor(storm_db)) is not None and c >= start + timedelta(minutes=15),
              120, "the flood machine starting to step", proc)
        # A run comes every 10 s and may take only a second or two of them: the kill must land while
        # one is in progress, so wait for one.
        owner = _wait(lambda: _running_worker(storm_db), 60, "a flood run in progress", proc)
        os.kill(int(owner.rsplit(":", 1)[1]), signal.SIGKILL)
        _wait(lambda: (c := _flood_cursor(storm_db)) is not None and c >= end - timedelta(minutes=20),
              240, "the restarted worker finishing the storm", proc)
    finally:
        output = _stop(proc)
    assert "restarting" in output
    with psycopg.connect(storm_db) as conn:
        died = conn.execute("SELECT count(*) FROM job_runs WHERE error = 'worker process died'").fetchone()[0]
        workers = conn.execute("SELECT count(DISTINCT worker) FROM job_runs").fetchone()[0]
        moves = conn.execute("SELECT h3, at, to_state FROM flood_transitions ORDER BY h3, at").fetchall()
    assert died == 1 and workers == 2
    # Resumed exactly: no step ran twice (no repeated transition) and every flooding place flooded once.
    assert len(moves) == len({(h, at) for h, at, _ in moves})
    flooded = [h for h, _, state in moves if state == "flooded"]
    assert sorted(flooded) == sorted(RS.flooding_hexes(9))
