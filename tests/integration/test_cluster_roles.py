"""The private cluster's roles and passwords, and the conversion of a cluster made with trust authentication."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

from hexops.geodata import migrate
from hexops.geodata.cluster import BASE_SETTINGS, THROWAWAY_SETTINGS, PrivateCluster, find_pg_bin, free_port
from hexops.geodata.cluster_auth import APP


def _legacy_cluster(root: Path) -> PrivateCluster:
    """A cluster as hexops made it before issue 10: trust authentication, everything owned by the superuser."""
    made = PrivateCluster(root, port=free_port(), throwaway=True)
    made._prepare_root()
    pg_bin = find_pg_bin()
    subprocess.run(made._as_server_user([str(pg_bin / "initdb"), "-D", str(made.data_dir), "-U", "hexops", "-A",
                                         "trust", "-E", "UTF8", "--locale=C.UTF-8"]),
                   check=True, capture_output=True)
    conf = {**BASE_SETTINGS, **THROWAWAY_SETTINGS, "unix_socket_directories": f"'{made.data_dir}'"}
    with open(made.data_dir / "postgresql.conf", "a", encoding="utf-8") as fh:
        fh.write("\n".join(f"{k} = {v}" for k, v in conf.items()) + "\n")
    made._write_owned(made.root / "port", str(made.port))
    subprocess.run(made._as_server_user([str(pg_bin / "pg_ctl"), "-D", str(made.data_dir), "-l", str(made.log_file),
                                         "-o", f"-p {made.port}", "-w", "start"]), check=True, capture_output=True)
    trust = f"postgresql://hexops@127.0.0.1:{made.port}"
    with psycopg.connect(trust + "/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE hexops")
    with psycopg.connect(trust + "/hexops", autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (x int)")
        conn.execute("INSERT INTO kept VALUES (42)")
    return made


@pytest.fixture
def legacy_root():
    root = Path(tempfile.mkdtemp(prefix="hexops-legacy-")) / "pg"
    yield root
    PrivateCluster(root).destroy()


def test_a_trust_cluster_is_converted_on_start_and_keeps_its_data(legacy_root):
    legacy = _legacy_cluster(legacy_root)
    cluster = PrivateCluster(legacy_root)
    owner_url = cluster.start()
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(host="127.0.0.1", port=legacy.port, user="hexops", dbname="hexops", passfile="/dev/null",
                        connect_timeout=5)
    with psycopg.connect(owner_url) as conn:
        owner, value = conn.execute("SELECT pg_get_userbyid(relowner), (SELECT x FROM kept) FROM pg_class "
                                    "WHERE relname = 'kept'").fetchone()
    assert (owner, value) == ("hexops_owner", 42)
    migrate.apply_all(owner_url, app_role=APP)
    with psycopg.connect(cluster.url(role="app")) as conn:
        assert conn.execute("SELECT count(*) FROM kept").fetchone()[0] == 1


def test_a_url_names_the_password_file_and_never_the_password(pg_cluster):
    url = pg_cluster.url("hexops", role="app")
    assert "passfile=" in url and pg_cluster.secrets.password("app") not in url
