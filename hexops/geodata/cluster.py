"""A private PostgreSQL + PostGIS cluster that hexops starts and stops itself.

The demo and the test suite need a real PostGIS server without touching any
server the machine already runs.  This module wraps ``initdb`` and ``pg_ctl``
for a data directory owned by the project (``.hexops/pg`` for the demo, a
temporary directory for tests), listening on loopback only.  Loopback is
reachable by every account on the machine, so every connection needs a
password (SCRAM) and the application connects as a role that cannot rewrite
the audit log: see :mod:`hexops.geodata.cluster_auth`.

PostgreSQL refuses to run as root, so when hexops runs as root the server
process runs as the ``postgres`` system user (``runuser``), and the data
directory is placed where that user can reach it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from hexops.geodata import cluster_auth
from hexops.geodata.cluster_auth import ClusterSecrets
from hexops.geodata.errors import ClusterError

#: Settings for every private cluster.  Loopback only; the socket lives in the
#: data directory so that two clusters never fight over /var/run/postgresql.
BASE_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "200",
    "shared_buffers": "'512MB'",
    "work_mem": "'32MB'",
    "maintenance_work_mem": "'256MB'",
    "max_wal_size": "'4GB'",
    "checkpoint_timeout": "'15min'",
    "wal_level": "'minimal'",
    "max_wal_senders": "0",
    "log_min_messages": "'warning'",
    "logging_collector": "off",
    "timezone": "'UTC'",
}

#: A throwaway test cluster trades durability for speed: it is deleted after
#: the run, and the fault tests stop it cleanly or kill clients, never the OS.
THROWAWAY_SETTINGS = {
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "shared_buffers": "'256MB'",
}


def _running_as_root() -> bool:
    return os.geteuid() == 0


def find_pg_bin() -> Path:
    """Return the directory holding ``initdb``/``pg_ctl`` of the newest installed major."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    for pg_ctl in candidates:
        return pg_ctl.parent
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise ClusterError(
        "PostgreSQL server binaries not found. Install them with "
        "'apt-get install postgresql postgresql-15-postgis-3' (Debian/Ubuntu), "
        "or set HEXOPS_DATABASE_URL to an existing PostGIS server."
    )


def postgis_available(pg_bin: Path) -> bool:
    """True when the PostGIS extension files exist for the server in ``pg_bin``."""
    major = pg_bin.parent.name
    return Path(f"/usr/share/postgresql/{major}/extension/postgis.control").exists()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PrivateCluster:
    """A PostgreSQL data directory under the project's control.

    Parameters
    ----------
    root : Path
        Directory that holds the cluster (``root/data``, ``root/port``,
        ``root/server.log``, the roles' password files in ``root/auth``).  As
        root, a symlink to a directory the ``postgres`` user can reach may
        stand in its place.
    port : int, optional
        TCP port on 127.0.0.1; chosen and remembered on first start.
    throwaway : bool
        Turn off fsync and friends: for test clusters only.
    """

    root: Path
    port: int | None = None
    throwaway: bool = False
    dbname: str = "hexops"

    @property
    def secrets(self) -> ClusterSecrets:
        """The roles' password files (``root/auth``, 0700; each file 0600)."""
        return ClusterSecrets(self.root / "auth")

    @property
    def data_dir(self) -> Path:
        # Resolved: the postgres user may not be able to traverse the symlink's
        # own parent directory, only its target.
        return self.root.resolve() / "data"

    @property
    def log_file(self) -> Path:
        return self.root.resolve() / "server.log"

    @property
    def _port_file(self) -> Path:
        return self.root / "port"

    def url(self, dbname: str | None = None, role: str = "owner") -> str:
        """The libpq URL of database ``dbname`` (default: the hexops database) as ``role``.

        ``role`` is ``"app"`` (what the application connects as), ``"owner"``
        (migrations) or ``"super"`` (creating databases and extensions).  The
        URL names the role's password file; it carries no password.
        """
        return self.secrets.url(role, self._resolved_port(), dbname or self.dbname)

    def _resolved_port(self) -> int:
        if self.port is None and self._port_file.exists():
            self.port = int(self._port_file.read_text().strip())
        if self.port is None:
            raise ClusterError(f"cluster at {self.root} has no port yet; start it first")
        return self.port

    def _as_server_user(self, argv: list[str]) -> list[str]:
        if _running_as_root():
            return ["runuser", "-u", "postgres", "--", *argv]
        return argv

    def _prepare_root(self) -> None:
        """Create ``root``; as root, make sure the postgres user can reach it."""
        if self.root.exists() or self.root.is_symlink():
            return
        self.root.parent.mkdir(parents=True, exist_ok=True)
        if not _running_as_root():
            self.root.mkdir(parents=True)
            return
        # The postgres user must traverse every parent directory.  A checkout
        # under /root cannot be reached, so the cluster then lives under
        # /var/lib/postgresql and the project keeps a symlink to it.
        self.root.mkdir(parents=True)
        shutil.chown(self.root, "postgres", "postgres")
        probe = subprocess.run(
            ["runuser", "-u", "postgres", "--", "test", "-w", str(self.root)],
            capture_output=True,
        )
        if probe.returncode == 0:
            return
        self.root.rmdir()
        digest = hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:12]
        target = Path("/var/lib/postgresql/hexops") / digest
        target.mkdir(parents=True, exist_ok=True)
        shutil.chown(target.parent, "postgres", "postgres")
        shutil.chown(target, "postgres", "postgres")
        self.root.symlink_to(target, target_is_directory=True)

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> None:
        """Run ``initdb`` once; a second call is a no-op."""
        if self.initialised():
            return
        pg_bin = find_pg_bin()
        if not postgis_available(pg_bin):
            raise ClusterError(
                f"PostGIS is not installed for PostgreSQL {pg_bin.parent.name}. Install it with "
                f"'apt-get install postgresql-{pg_bin.parent.name}-postgis-3'."
            )
        self._prepare_root()
        self.secrets.create()
        # initdb reads the superuser's password from a file the server user can read;
        # it lives only for the call.
        pwfile = self.root.resolve() / f".initdb-pw-{os.getpid()}"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(self.secrets.password("super") + "\n")
        if _running_as_root():
            shutil.chown(pwfile, "postgres", "postgres")
        cmd = [
            str(pg_bin / "initdb"), "-D", str(self.data_dir), "-U", cluster_auth.SUPERUSER,
            "-A", "scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions",
        ]
        try:
            result = subprocess.run(self._as_server_user(cmd), capture_output=True, text=True)
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise ClusterError(f"initdb failed for {self.data_dir}: {result.stderr.strip()}")
        self._write_owned(self.data_dir / "pg_hba.conf", cluster_auth.HBA_CONF)
        settings = dict(BASE_SETTINGS)
        settings["unix_socket_directories"] = f"'{self.data_dir.resolve()}'"
        if self.throwaway:
            settings.update(THROWAWAY_SETTINGS)
        conf = "\n".join(f"{k} = {v}" for k, v in settings.items())
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write("\n# hexops private cluster\n" + conf + "\n")

    def running(self) -> bool:
        if not self.initialised():
            return False
        pg_bin = find_pg_bin()
        result = subprocess.run(
            self._as_server_user([str(pg_bin / "pg_ctl"), "-D", str(self.data_dir), "status"]),
            capture_output=True, text=True,
        )
        return result.returncode == 0

    def start(self, timeout_s: float = 60.0) -> str:
        """Initialise if needed, start the server, set up the roles and create the database.

        Returns the database's URL as the owner role (for migrations); the
        application uses ``url(role="app")``.  A cluster made by an older
        hexops with trust authentication is converted in place: passwords are
        generated, the roles created, its objects handed to the owner role and
        password authentication switched on.
        """
        legacy = self.initialised() and not self.secrets.complete()
        self.init()
        if legacy:
            self.secrets.create()
        if not self.running():
            if self.port is None:
                self.port = (
                    int(self._port_file.read_text()) if self._port_file.exists() else free_port()
                )
            self._write_owned(self._port_file, str(self.port))
            pg_bin = find_pg_bin()
            cmd = [
                str(pg_bin / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file),
                "-o", f"-p {self.port}", "-w", "-t", str(int(timeout_s)), "start",
            ]
            result = subprocess.run(self._as_server_user(cmd), capture_output=True, text=True)
            if result.returncode != 0:
                tail = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
                raise ClusterError(f"PostgreSQL did not start on port {self.port}: {result.stderr}\n{tail}")
        self._wait_ready(timeout_s)
        self._ensure_roles()
        if legacy:
            self._write_owned(self.data_dir / "pg_hba.conf", cluster_auth.HBA_CONF)
            self._reload()
        self.create_database(self.dbname, exist_ok=True, adopt=legacy)
        return self.url()

    def _write_owned(self, path: Path, text: str) -> None:
        path.write_text(text)
        if _running_as_root():
            shutil.chown(path, "postgres", "postgres")

    def _reload(self) -> None:
        pg_bin = find_pg_bin()
        subprocess.run(self._as_server_user([str(pg_bin / "pg_ctl"), "-D", str(self.data_dir), "reload"]),
                       capture_output=True, text=True, check=True)

    def _wait_ready(self, timeout_s: float) -> None:
        import psycopg

        deadline = time.monotonic() + timeout_s
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.url("postgres", role="super"), connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                last = exc
                time.sleep(0.2)
        raise ClusterError(f"PostgreSQL on port {self.port} not ready after {timeout_s:.0f} s: {last}")

    def _ensure_roles(self) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres", role="super"), autocommit=True) as conn:
            cluster_auth.ensure_roles(conn, self.secrets)

    def create_database(self, name: str, template: str | None = None, *, exist_ok: bool = False,
                        adopt: bool = False) -> str:
        """Create database ``name`` owned by the owner role, with PostGIS; return its owner URL.

        ``template`` copies another database (tests); ``adopt`` hands an
        existing database's objects from the superuser to the owner role.
        """
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url("postgres", role="super"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if exists and not exist_ok:
                raise ClusterError(f"database {name} already exists")
            if not exists:
                statement = sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(cluster_auth.OWNER))
                if template:
                    statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
                conn.execute(statement)
            else:
                conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    sql.Identifier(name), sql.Identifier(cluster_auth.OWNER)))
        with psycopg.connect(self.url(name, role="super"), autocommit=True) as conn:
            # PostGIS is not a trusted extension: only a superuser may create it.
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            if adopt:
                cluster_auth.adopt_objects(conn)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` (closing its connections) if it exists."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url("postgres", role="super"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def stop(self, mode: str = "fast") -> None:
        """Stop the server if it runs (``mode``: smart, fast or immediate)."""
        if not self.running():
            return
        pg_bin = find_pg_bin()
        subprocess.run(
            self._as_server_user(
                [str(pg_bin / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop"]
            ),
            capture_output=True, text=True, check=False,
        )

    def status(self) -> dict[str, object]:
        """A small dict for ``hexops db status``."""
        return {
            "root": str(self.root),
            "initialised": self.initialised(),
            "running": self.running(),
            "port": self.port if self.port is not None else (
                int(self._port_file.read_text()) if self._port_file.exists() else None
            ),
            "url": self.url() if self._port_file.exists() or self.port else None,
        }

    def destroy(self) -> None:
        """Stop and delete the cluster's files (test clusters)."""
        self.stop("immediate")
        target = self.root.resolve()
        if self.root.is_symlink():
            self.root.unlink()
        shutil.rmtree(target, ignore_errors=True)
