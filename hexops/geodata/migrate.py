"""A small migration runner: numbered ``.sql`` files applied once each, in order.

Why not Alembic or yoyo: hexops's schema is plain PostGIS DDL (partitioned
tables, BRIN, PL/pgSQL), there is no ORM model to diff against, and the
runner's whole job -- apply ``NNN_name.sql`` files in order, each in its own
transaction, remember which ran and refuse edited history -- fits in this
file with no new dependency.

Numbering convention (so that parallel work never collides):
001-019 foundation, 020-029 ingestion, 030-039 access and audit,
040-049 crime risk, 050-059 crowds and floods, 060-069 video and vault.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from typing import Callable

import psycopg

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


def apply_all(url: str, progress: Callable[[str], None] | None = None) -> list[Migration]:
    """Apply every pending migration to the database at ``url``.

    Each migration runs in its own transaction, so a failing one leaves the
    database at the previous version.  Concurrent callers serialise on an
    advisory lock.  Returns the migrations applied by this call (empty when
    the database was already current).

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
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_ADVISORY_LOCK_KEY,))
    return applied_now


def current_version(url: str) -> int:
    """The highest applied migration version (0 for an empty database)."""
    with psycopg.connect(url) as conn:
        exists = conn.execute("SELECT to_regclass('schema_migrations')").fetchone()[0]
        if exists is None:
            return 0
        return int(conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0])
