"""Who may connect to the private cluster, and as which role.

The private cluster listens on loopback only, but anyone with a shell on the
machine can reach loopback, so it takes passwords (SCRAM-SHA-256) for every
connection, socket or TCP, and knows three roles:

==================  =========================================================
``hexops``          the cluster's superuser: creates databases, roles and the
                    PostGIS extension; nothing else connects as it
``hexops_owner``    owns every table, function and sequence; migrations run
                    as it (no superuser, no CREATEDB, no CREATEROLE)
``hexops_app``      what the web app, the CLI and the workers connect as: it
                    reads and writes rows, but may only INSERT into the audit
                    log and owns no table (so it cannot disable a trigger)
==================  =========================================================

Each role's password is random (256 bits), generated once into
``<cluster root>/auth/<role>.pgpass`` (a libpq password file, mode 0600, in a
0700 directory).  Connection URLs name the file with ``passfile=`` rather than
carrying the password, so a URL printed on the console or kept in the
environment gives nothing away.  The server stores only SCRAM verifiers,
computed on the client (``PQencryptPasswordConn``), so no password travels in
an SQL statement either.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from hexops.geodata.errors import ClusterError

SUPERUSER = "hexops"
OWNER = "hexops_owner"
APP = "hexops_app"
#: Role key (as used in :meth:`ClusterSecrets.passfile` and ``PrivateCluster.url(role=...)``) -> role name.
ROLES: dict[str, str] = {"super": SUPERUSER, "owner": OWNER, "app": APP}

#: Password authentication for every connection; the socket sits in the 0700
#: data directory and TCP listens on 127.0.0.1 only.
HBA_CONF = (
    "# hexops private cluster: SCRAM password authentication only (hexops.geodata.cluster_auth)\n"
    "local   all   all                  scram-sha-256\n"
    "host    all   all   127.0.0.1/32   scram-sha-256\n"
)


def _write_private(path: Path, text: str) -> None:
    """Create ``path`` with mode 0600 (whatever the umask) and ``text``; never overwrites."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


@dataclass(frozen=True)
class ClusterSecrets:
    """The roles' passwords: one libpq password file per role under ``directory``."""

    directory: Path

    def passfile(self, role_key: str) -> Path:
        if role_key not in ROLES:
            raise ClusterError(f"role: {role_key!r} is not one of {', '.join(ROLES)}")
        return self.directory / f"{role_key}.pgpass"

    def complete(self) -> bool:
        """True when every role has its password file."""
        return all(self.passfile(key).exists() for key in ROLES)

    def create(self) -> None:
        """Generate a password file for each role that has none (directory 0700, files 0600)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        for key, role in ROLES.items():
            path = self.passfile(key)
            if not path.exists():
                # Host and role are pinned; any port and database.  token_urlsafe
                # never yields ':' or '\\', which the file format would need escaped.
                _write_private(path, f"127.0.0.1:*:*:{role}:{secrets.token_urlsafe(32)}\n")

    def password(self, role_key: str) -> str:
        try:
            line = self.passfile(role_key).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise ClusterError(f"{self.passfile(role_key)}: missing; the cluster's passwords are gone") from None
        return line.rsplit(":", 1)[1]

    def url(self, role_key: str, port: int, dbname: str) -> str:
        """A libpq URL for ``role_key`` naming its password file (no password in the URL)."""
        return (f"postgresql://{ROLES[role_key]}@127.0.0.1:{port}/{quote(dbname, safe='')}"
                f"?passfile={quote(str(self.passfile(role_key)), safe='/')}")


def _verifier(conn: psycopg.Connection, role: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of ``password``, computed here (the server never sees the password)."""
    return conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()


def ensure_roles(conn: psycopg.Connection, keys: ClusterSecrets) -> None:
    """Create the owner and app roles if missing and set every role's password (as the superuser)."""
    for key, role in ROLES.items():
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if not exists:
            conn.execute(sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
            ).format(sql.Identifier(role)))
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
            sql.Identifier(role), sql.Literal(_verifier(conn, role, keys.password(key)))))


def adopt_objects(conn: psycopg.Connection) -> int:
    """Give the owner role every table and function the superuser owns in ``public``.

    For clusters made before the roles existed (everything was created by the
    superuser).  Extension members (PostGIS) stay with the superuser.  Returns
    the number of objects handed over.
    """
    conn.execute(sql.SQL("""
        DO $$
        DECLARE r record; n integer := 0;
        BEGIN
            FOR r IN SELECT c.oid::regclass AS obj FROM pg_class c
                       JOIN pg_namespace s ON s.oid = c.relnamespace
                      WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
                        AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
                        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
            LOOP
                EXECUTE format('ALTER TABLE %s OWNER TO {owner}', r.obj);
                n := n + 1;
            END LOOP;
            FOR r IN SELECT p.oid::regprocedure AS obj FROM pg_proc p
                       JOIN pg_namespace s ON s.oid = p.pronamespace
                      WHERE s.nspname = 'public'
                        AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
                        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
            LOOP
                EXECUTE format('ALTER ROUTINE %s OWNER TO {owner}', r.obj);
                n := n + 1;
            END LOOP;
            PERFORM set_config('hexops.adopted', n::text, false);
        END $$
    """).format(owner=sql.Identifier(OWNER)))
    return int(conn.execute("SELECT current_setting('hexops.adopted')::integer").fetchone()[0])
