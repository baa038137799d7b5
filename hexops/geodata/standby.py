"""A streaming replica (hot standby) of a private cluster, made with ``pg_basebackup``.

Used by the replica test and by anyone trying read replicas on one machine:

    primary = PrivateCluster(root / "primary")
    enable_replication(primary)            # before its first start (or restart it)
    primary.start()
    standby = start_standby(primary, root / "standby")
    # HEXOPS_REPLICA_URL=standby.url(role="app")

The standby copies the primary's data directory over the replication
protocol and follows its WAL (``primary_conninfo`` written by
``pg_basebackup -R``).  The private cluster takes passwords (SCRAM) for every
connection (:mod:`hexops.geodata.cluster_auth`): replication connects as its
superuser, whose password the standby's server keeps in a password file of
its own, and the standby has the primary's roles and passwords (they are
part of what it copies), so the same password files serve both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import psycopg

from hexops.geodata import cluster_auth
from hexops.geodata.cluster import PrivateCluster, _running_as_root, find_pg_bin, free_port
from hexops.geodata.errors import ClusterError

#: What a primary needs to feed a streaming replica (a private cluster runs wal_level=minimal).
REPLICATION_SETTINGS = {
    "wal_level": "replica",
    "max_wal_senders": "4",
    "max_replication_slots": "4",
    "hot_standby": "on",
    "wal_keep_size": "'256MB'",
}
#: Replication connections, on loopback, as the cluster's superuser, with its password.
REPLICATION_HBA = f"host    replication   {cluster_auth.SUPERUSER}   127.0.0.1/32   scram-sha-256\n"


def _append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)


def enable_replication(primary: PrivateCluster) -> None:
    """Let ``primary`` feed replicas (initialising it if needed); takes effect at its next start."""
    primary.init()
    _append(primary.data_dir / "postgresql.conf", "\n# hexops: feeds streaming replicas\n"
            + "\n".join(f"{k} = {v}" for k, v in REPLICATION_SETTINGS.items()) + "\n")
    _append(primary.data_dir / "pg_hba.conf", REPLICATION_HBA)


class StandbyCluster(PrivateCluster):
    """A hot standby: started and stopped like a private cluster, never set up (it is read-only).

    Its ``auth`` directory holds copies of the primary's password files, so
    :meth:`url` connects as the same roles.
    """

    def start(self, timeout_s: float = 60.0) -> str:
        if not self.running():
            cmd = [str(find_pg_bin() / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file),
                   "-o", f"-p {self._resolved_port()}", "-w", "-t", str(int(timeout_s)), "start"]
            result = subprocess.run(self._as_server_user(cmd), capture_output=True, text=True)
            if result.returncode != 0:
                tail = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
                raise ClusterError(f"the standby did not start on port {self.port}: {result.stderr}\n{tail}")
        self._wait_ready(timeout_s)
        return self.url()


def _server_passfile(standby: StandbyCluster, primary: PrivateCluster) -> Path:
    """The superuser's password file, readable by the server's own user (the walreceiver reads it)."""
    path = standby.root.resolve() / "replication.pgpass"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(primary.secrets.passfile("super").read_text(encoding="utf-8"))
    if _running_as_root():
        shutil.chown(path, "postgres", "postgres")
    return path


def start_standby(primary: PrivateCluster, root: Path, *, timeout_s: float = 120.0) -> StandbyCluster:
    """Copy the running ``primary`` into ``root`` with ``pg_basebackup -R`` and start it as a hot standby.

    Parameters
    ----------
    primary : PrivateCluster
        Running, with :func:`enable_replication` applied.
    root : Path
        Where the standby's cluster lives (as :class:`PrivateCluster`'s root).

    Returns
    -------
    StandbyCluster
        The running standby; ``url(role="app")`` is what ``HEXOPS_REPLICA_URL`` takes.
    """
    standby = StandbyCluster(root, port=free_port(), dbname=primary.dbname)
    standby._prepare_root()
    shutil.copytree(primary.secrets.directory, standby.secrets.directory)
    passfile = _server_passfile(standby, primary)
    conninfo = (f"host=127.0.0.1 port={primary._resolved_port()} user={cluster_auth.SUPERUSER} "
                f"passfile={passfile}")
    cmd = [str(find_pg_bin() / "pg_basebackup"), "-d", conninfo, "-D", str(standby.data_dir), "-R",
           "-X", "stream", "-c", "fast", "--no-sync"]
    result = subprocess.run(standby._as_server_user(cmd), capture_output=True, text=True, timeout=timeout_s)
    if result.returncode != 0:
        raise ClusterError(f"pg_basebackup into {standby.data_dir} failed: {result.stderr.strip()}")
    # The copied settings point the socket at the primary's directory; the standby keeps its own.
    _append(standby.data_dir / "postgresql.conf",
            f"\n# hexops: streaming replica\nunix_socket_directories = '{standby.data_dir}'\n")
    standby._write_owned(standby._port_file, str(standby.port))
    standby.start(timeout_s=timeout_s)
    return standby


def wait_caught_up(primary_url: str, standby_url: str, timeout_s: float = 60.0) -> None:
    """Wait until the standby has replayed everything the primary had written when called."""
    with psycopg.connect(primary_url, autocommit=True) as conn:
        target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(standby_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            done = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)).fetchone()[0]
            if done:
                return
            time.sleep(0.1)
    raise ClusterError(f"the standby did not replay up to {target} within {timeout_s:.0f} s")
