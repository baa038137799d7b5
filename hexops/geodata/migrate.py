"""A small migration runner: numbered ``.sql`` files applied once each, in order.

Why not Alembic or yoyo: hexops's schema is plain PostGIS DDL (partitioned
tables, BRIN, PL/pgSQL), there is no ORM model to diff against, and the
runner's whole job -- apply ``NNN_name.sql`` files in order, each in its own
transaction, remember which ran and refuse edited history -- fits in this
file with no new dependency.

Numbering convention (so that parallel work never collides):
001-019 foundation, 020-029 ingestion, 030-039 access and audit,
040-049 crime risk, 050-059 crowds and floods, 060-069 video and vault.

Migrations run as the role that will own the schema; :func:`grant_app_role`
then gives the application's role what it needs and no more (see
docs/security.md): rows of every table, but on the audit log only SELECT and
INSERT of the columns a writer supplies.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from typing import Callable

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from hexops.geodata.errors import MigrationError

_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
#: Any constant will do; it only has to be the same for every hexops process.
_ADVISORY_LOCK_KEY = 0x4E5809


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def discover() -> list[Migration]:
    """All migrations shipped in ``geodata/migrations``, ordered by version."""
    found: dict[int, Migration] = {}
    for entry in resources.files("hexops.geodata.migrations").iterdir():
        match = _NAME.match(entry.name)
        if not match:
            continue
        version = int(match.group(1))
        if version in found:
            raise MigrationError(
                f"two migrations share version {version:03d}: {found[version].name} and {match.group(2)}"
            )
        found[version] = Migration(version, match.group(2), entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def apply_all(url: str, progress: Callable[[str], None] | None = None,
              app_role: str | None = None) -> list[Migration]:
    """Apply every pending migration to the database at ``url``.

    Each migration runs in its own transaction, so a failing one leaves the
    database at the previous version.  Concurrent callers serialise on an
    advisory lock.  Returns the migrations applied by this call (empty when
    the database was already current).

    ``url`` should connect as the schema's owner.  With ``app_role`` (the
    application's login role, when it differs from the owner), the app's
    privileges are (re)granted afterwards, covering tables new migrations made.

    Raises
    ------
    MigrationError
        When a migration fails, or when an already applied migration's file
        no longer matches the checksum recorded when it ran.
    """
    say = progress or (lambda _msg: None)
    applied_now: list[Migration] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_ADVISORY_LOCK_KEY,))
        try:
            conn.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """
            )
            done = {
                row[0]: (row[1], row[2])
                for row in conn.execute("SELECT version, name, checksum FROM schema_migrations")
            }
            for migration in discover():
                if migration.version in done:
                    name, checksum = done[migration.version]
                    if checksum != migration.checksum:
                        raise MigrationError(
                            f"migration {migration.version:03d}_{name}.sql was edited after it was "
                            "applied; add a new migration instead"
                        )
                    continue
                say(f"applying {migration.version:03d}_{migration.name}")
                try:
                    with conn.transaction():
                        conn.execute(migration.sql)
                        conn.execute(
                            "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                            (migration.version, migration.name, migration.checksum),
                        )
                except psycopg.Error as exc:
                    raise MigrationError(
                        f"migration {migration.version:03d}_{migration.name}.sql failed: {exc}"
                    ) from exc
                applied_now.append(migration)
            if app_role:
                with conn.transaction():
                    grant_app_role(conn, app_role)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_ADVISORY_LOCK_KEY,))
    return applied_now


#: Tables on which the application has fewer rights than on the rest: the
#: migration record (read only) and the partition registry (it may change a
#: table's retention, not register tables the partition functions would act on).
_NARROWED = {"schema_migrations": "SELECT", "hexops_partitioned_tables": "SELECT, UPDATE"}
#: The audit tables, on which it may only append (the columns it supplies; the
#: chain trigger fills the rest).
_APPEND_ONLY = {
    "audit_log": ("actor", "action", "target", "reason", "details"),
    "audit_seals": ("chain_seq", "mac"),
}


def grant_app_role(conn: psycopg.Connection, app_role: str) -> None:
    """Give ``app_role`` row access to the schema the current (owner) role owns, and no more.

    Every table: SELECT, INSERT, UPDATE, DELETE (never TRUNCATE, TRIGGER or
    REFERENCES); sequences: USAGE; the audit tables: SELECT and INSERT of
    their writer-supplied columns only; ``schema_migrations``: SELECT;
    ``hexops_partitioned_tables``: SELECT, UPDATE.  Day
    partitions made later by the owner inherit the same rights.  Idempotent.
    """
    role = sql.Identifier(app_role)
    tables = [r[0] for r in conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') "
        "AND pg_get_userbyid(c.relowner) = current_user ORDER BY 1").fetchall()]
    for table in tables:
        ident = sql.Identifier(table)
        conn.execute(sql.SQL("REVOKE ALL ON {} FROM {}").format(ident, role))
        if table in _APPEND_ONLY:
            columns = sql.SQL(", ").join(map(sql.Identifier, _APPEND_ONLY[table]))
            conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(ident, role))
            conn.execute(sql.SQL("GRANT INSERT ({}) ON {} TO {}").format(columns, ident, role))
        elif table in _NARROWED:
            conn.execute(sql.SQL("GRANT {} ON {} TO {}").format(sql.SQL(_NARROWED[table]), ident, role))
        else:
            conn.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}").format(ident, role))
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role))
    conn.execute(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(role))
    conn.execute(sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE "
                         "ON TABLES TO {}").format(role))
    conn.execute(sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT "
                         "ON SEQUENCES TO {}").format(role))


def role_of(url: str) -> str | None:
    """The user name a libpq URL connects as (None when it leaves it to the environment)."""
    return conninfo_to_dict(url).get("user")


def current_version(url: str) -> int:
    """The highest applied migration version (0 for an empty database)."""
    with psycopg.connect(url) as conn:
        exists = conn.execute("SELECT to_regclass('schema_migrations')").fetchone()[0]
        if exists is None:
            return 0
        return int(conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0])
