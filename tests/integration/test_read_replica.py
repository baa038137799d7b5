"""Read replicas for real: a primary and a streaming replica (pg_basebackup) on loopback.

The dashboard's reads go to the replica while it is up and caught up; when
the replica lags too far or dies, they fall back to the primary, and the
pages keep answering.  Ingestion-side writes always go to the primary.

The clusters are the private cluster's own (``hexops.geodata.cluster``),
with password authentication and its three roles: the app and the pages
connect as the application's role on both servers, replication as the
cluster's superuser.
"""

from __future__ import annotations

import tempfile
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from hexops.geodata import migrate
from hexops.geodata.cluster import PrivateCluster
from hexops.geodata.cluster_auth import APP
from hexops.geodata.db import Database
from hexops.geodata.replicas import ReadRouter, replica_lag_s
from hexops.geodata.standby import enable_replication, start_standby, wait_caught_up
from hexops.geodata.uow import UnitOfWork
from hexops.services import flood_views
from tests.fixtures.auth import create_user, login_session
from tests.fixtures.hexmap import R9, T0, insert_map_fixture
from tests.fixtures.live_app import LiveApp

WINDOW = {"metric": "people", "res": "9", "start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat()}


@pytest.fixture(scope="module")
def clusters():
    root = Path(tempfile.mkdtemp(prefix="hexops-replica-"))
    primary = PrivateCluster(root / "primary", throwaway=True)
    enable_replication(primary)
    owner_url = primary.start()
    standby = None
    try:
        migrate.apply_all(owner_url, app_role=APP)
        insert_map_fixture(owner_url)
        create_user(primary.url(role="app"), "replica-commander", "commander")
        standby = start_standby(primary, root / "standby")
        wait_caught_up(owner_url, standby.url())
        yield primary, standby
    finally:
        if standby is not None:
            standby.destroy()
        primary.destroy()


def _add_people(url: str, people_s: float) -> None:
    """A new 5-minute row in the fixture's window, written on the primary."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO detections_hex_5min (h3, resolution, bucket, n_events, covered_s, people_s) "
            "VALUES (%s, 9, %s, 1, 300, %s) ON CONFLICT (bucket, h3) DO UPDATE SET people_s = excluded.people_s",
            (R9[2], T0 + timedelta(minutes=10), people_s))


def _values(app: LiveApp, session) -> dict:
    response = session.get(app.base_url + "/api/v1/hexmap/values", params=WINDOW, timeout=30)
    assert response.status_code == 200, response.text
    document = response.json()
    return dict(zip(document["index"], document["values"]))


def test_a_replica_made_by_pg_basebackup_is_a_hot_standby_that_follows_the_primary(clusters):
    primary, standby = clusters
    with psycopg.connect(standby.url(role="app")) as conn:
        assert replica_lag_s(conn) is not None
        (rows,) = conn.execute("SELECT count(*) FROM detections_hex_5min").fetchone()
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("DELETE FROM detections_hex_5min")
    with psycopg.connect(primary.url(role="app")) as conn:
        assert replica_lag_s(conn) is None
        assert conn.execute("SELECT count(*) FROM detections_hex_5min").fetchone()[0] == rows


def test_the_map_reads_the_replica_and_falls_back_to_the_primary_when_the_replica_dies(clusters, tmp_path):
    primary, standby = clusters
    app = LiveApp(primary.url(role="app"), tmp_path, replica_url=standby.url(role="app"),
                  replica_max_lag_s=3600.0)
    try:
        commander = login_session(app.base_url, "replica-commander")
        assert _values(app, commander) == {0: 0.5, 1: 0.75}
        # Freeze the replica's replay and write on the primary: a read that does not
        # see the new row was served by the replica.
        with psycopg.connect(standby.url(role="super"), autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
        _add_people(primary.url(), 300 * 36.0)
        assert 2 not in _values(app, commander)
        assert app.context.reads.status().serving == "replica"
        # Every read-only unit of work refuses to write, wherever it runs.
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            with app.context.read_uow() as uow:
                uow.conn.execute("DELETE FROM detections_hex_5min")

        standby.stop(mode="immediate")
        # The next reads go to the primary and see its latest row; the page never fails.
        assert _values(app, commander)[2] == pytest.approx(3.0)
        assert _values(app, commander)[2] == pytest.approx(3.0)
        status = app.context.reads.status()
        assert (status.serving, status.reachable) == ("primary", False)
        check = app.context.reads.readiness()
        assert (check["ok"], check["critical"], check["serving"]) == (False, False, "primary")
        # A page's read model too (the Drainage page's latest data time) answers from the primary.
        assert flood_views.data_end(app.context.read_uow()) is None
    finally:
        app.stop()
        standby.start()
        with psycopg.connect(standby.url(role="super"), autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")


def test_a_replica_further_behind_than_allowed_is_not_read(clusters):
    primary, standby = clusters
    wait_caught_up(primary.url(), standby.url())
    database = Database(primary.url(role="app"), min_size=1, max_size=2).open()
    router = ReadRouter(database, standby.url(role="app"), max_lag_s=1.0, lag_every_s=0.0)
    try:
        with psycopg.connect(standby.url(role="super"), autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
        _add_people(primary.url(), 300 * 48.0)
        time.sleep(2.5)
        # The primary commits something more, so the replica's last replayed commit ages.
        _add_people(primary.url(), 300 * 60.0)
        with UnitOfWork(router.connection) as uow:
            (people,) = uow.conn.execute(
                "SELECT people_s FROM detections_hex_5min WHERE h3 = %s AND bucket = %s",
                (R9[2], T0 + timedelta(minutes=10))).fetchone()
        assert people == pytest.approx(300 * 60.0)
        status = router.status()
        assert status.serving == "primary" and status.lag_s > 1.0
        assert router.readiness()["ok"] is False
    finally:
        with psycopg.connect(standby.url(role="super"), autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")
        router.close()
        database.close()
