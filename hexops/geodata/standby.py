"""A streaming replica (hot standby) of a private cluster, made with ``pg_basebackup``.

Used by the replica test and by anyone trying read replicas on one machine:

    primary = PrivateCluster(root / "primary")
    enable_replication(primary)            # before its first start (or restart it)
    url = primary.start()
    standby = start_standby(primary, root / "standby")
    # HEXOPS_REPLICA_URL=standby.url()

The standby copies the primary's data directory over the replication
protocol and follows its WAL (``primary_conninfo`` written by
``pg_basebackup -R``).  Authentication is the primary's own: pass
``replication_conninfo`` (a role with REPLICATION, and its password when the
cluster uses SCRAM) when the cluster's default user may not replicate.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import psycopg

from hexops.geodata.cluster import PrivateCluster, find_pg_bin, free_port
from hexops.geodata.errors import ClusterError

#: What a primary needs to feed a streaming replica (a private cluster runs wal_level=minimal).
REPLICATION_SETTINGS = {
    "wal_level": "replica",
    "max_wal_senders": "4",
    "max_replication_slots": "4",
    "hot_standby": "on",
    "wal_keep_size": "'256MB'",
}


def _append_settings(data_dir: Path, settings: dict[str, str], note: str) -> None:
    with open(data_dir / "postgresql.conf", "a", encoding="utf-8") as fh:
        fh.write(f"\n# {note}\n" + "\n".join(f"{k} = {v}" for k, v in settings.items()) + "\n")


def enable_replication(primary: PrivateCluster) -> None:
    """Let ``primary`` feed replicas (initialising it if needed); takes effect at its next start."""
    primary.init()
    _append_settings(primary.data_dir, REPLICATION_SETTINGS, "hexops: feeds streaming replicas")


def start_standby(primary: PrivateCluster, root: Path, *, replication_conninfo: str | None = None,
                  timeout_s: float = 120.0) -> PrivateCluster:
    """Copy the running ``primary`` into ``root`` with ``pg_basebackup -R`` and start it as a hot standby.

    Parameters
    ----------
    primary : PrivateCluster
        Running, with :func:`enable_replication` applied.
    root : Path
        Where the standby's cluster lives (as :class:`PrivateCluster`'s root).
    replication_conninfo : str, optional
        libpq conninfo of a role allowed to replicate (default: the primary's
        own URL and user).

    Returns
    -------
    PrivateCluster
        The running standby; its ``url()`` is what ``HEXOPS_REPLICA_URL`` takes.
    """
    standby = PrivateCluster(root, port=free_port(), user=primary.user, dbname=primary.dbname)
    standby._prepare_root()
    conninfo = replication_conninfo or primary.url("postgres")
    cmd = [str(find_pg_bin() / "pg_basebackup"), "-d", conninfo, "-D", str(standby.data_dir), "-R",
           "-X", "stream", "-c", "fast", "--no-sync"]
    result = subprocess.run(standby._as_server_user(cmd), capture_output=True, text=True, timeout=timeout_s)
    if result.returncode != 0:
        raise ClusterError(f"pg_basebackup into {standby.data_dir} failed: {result.stderr.strip()}")
    # The copied settings point the socket at the primary's directory; the standby keeps its own.
    _append_settings(standby.data_dir, {"unix_socket_directories": f"'{standby.data_dir}'"},
                     "hexops: streaming replica")
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
