"""The live demo, headless: ``hexops demo live`` replays the storm through JetStream with no browser open.

A small demo city with the rainstorm afternoon is loaded; the replay starts
ten minutes before the first road floods, at sixty times real time, without
the web server.  The supervisor runs the private nats-server, the demo
receiver, the job workers, the ingest worker and the publisher.  The test
only reads the database: the storm's flood alert must reach the receiver,
signed, within a minute of the detections that caused it, and no window may
be published before the scenario clock passes its end.
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
from hexops.services import demo_live, jobs
from tests.conftest import url_as
from tests.fixtures.auth import grant_layers
from tests.fixtures.crowdflood import N_CAMERAS
from tests.fixtures.ingest import NATS_SERVER

pytestmark = pytest.mark.timeout(420)

RS = scenarios.RAINSTORM
ROOT = Path(__file__).resolve().parents[2]
SPEED = 60.0


def _receipts(url: str) -> list[dict]:
    return demo_live.receipts(UnitOfWork.for_url(url))


def _stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    return out


def test_the_replayed_storm_reaches_the_partner_signed_within_a_minute_with_no_page_open(storm_db, pg_cluster,
                                                                                         tmp_path):
    if not Path(NATS_SERVER).exists():
        pytest.fail(f"{NATS_SERVER} is required (make test installs the Debian package nats-server)")
    grant_layers(storm_db, "DSD", ["flood_alerts"])
    start = RS.flood_start - timedelta(minutes=10)
    # The command migrates as the schema's owner and runs everything else as the app role.
    env = {**os.environ, "HEXOPS_DATABASE_URL": storm_db, "HEXOPS_STATE_DIR": str(tmp_path / "state"),
           "HEXOPS_DATABASE_OWNER_URL": url_as(pg_cluster, storm_db, "owner")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hexops", "demo", "live", "--from", start.isoformat(), "--speed", f"{SPEED:g}",
         "--history", "1h", "--cameras", str(N_CAMERAS), "--no-web", "--job-workers", "2",
         "--allow-any-database"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 300
        flooded = []
        while time.monotonic() < deadline and proc.poll() is None and not flooded:
            time.sleep(1.0)
            flooded = [r for r in _receipts(storm_db) if (r["alert"] or {}).get("state") == "flooded"]
        states = jobs.status(UnitOfWork.for_url(storm_db))
        with psycopg.connect(storm_db) as conn:
            clock_row = conn.execute("SELECT anchor_wall, anchor_scenario, speed FROM scenario_clock").fetchone()
            windows = conn.execute("SELECT window_end, published_at, events FROM demo_replay_windows "
                                   "ORDER BY window_end").fetchall()
            data_end = conn.execute("SELECT max(minute) + interval '1 minute' FROM detections_camera_minute").fetchone()[0]
            now = conn.execute("SELECT now()").fetchone()[0]
    finally:
        output = _stop(proc)
    assert flooded, f"no flood alert reached the receiver; output:\n{output[-4000:]}"
    assert "every process stopped" in output and "clock held at" in output

    first = flooded[-1]  # receipts come newest first
    assert first["signature_ok"] and first["status_code"] == 200
    assert int(first["alert"]["h3"], 16) in set(RS.flooding_hexes(9))
    assert first["delay_s"] is not None and first["delay_s"] < 60.0, first

    # The stream brought the detections as the clock passed them, never ahead of it.
    anchor_wall, anchor_scenario, speed = clock_row
    assert speed == SPEED and anchor_scenario == start
    assert len(windows) >= 3 and all(n > 0 for _, _, n in windows)
    for window_end, published_at, _ in windows:
        due = anchor_wall + (window_end - anchor_scenario) / speed
        assert published_at >= due - timedelta(seconds=0.5), (window_end, published_at, due)
    scenario_now = anchor_scenario + (now - anchor_wall) * speed
    assert data_end <= scenario_now
    # Every job kept up while nobody watched.
    assert not [s.name for s in states if s.stale]
