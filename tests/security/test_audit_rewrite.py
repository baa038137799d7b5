"""Rewriting the audit log with a shell account on the machine (issue 10, finding 7).

The attack as found: the private cluster trusted every local connection and
the app connected as a superuser, so anyone on the machine could switch the
append-only triggers off (``session_replication_role = replica``), delete or
edit a row, re-hash the chain after it, and ``hexops audit verify`` still
said intact.  Now: no connection without a password, the app's role cannot
touch the table's definition or its rows, and even a superuser's rewrite
breaks the seals or the checkpoints kept outside the database.
"""

from __future__ import annotations

import os
import stat

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql

from hexops.geodata import audit
from tests.conftest import TEST_AUDIT_KEY, dbname_of, url_as

#: Delete the row at chain position k, then renumber and re-hash every later row
#: so that the chain links up again: what the issue's attacker did.
REHASH_AFTER_DELETE = """
DO $$
DECLARE r record; prev bytea; k bigint := {k};
BEGIN
    DELETE FROM audit_log WHERE chain_seq = k;
    SELECT row_hash INTO prev FROM audit_log WHERE chain_seq = k - 1;
    FOR r IN SELECT * FROM audit_log WHERE chain_seq > k ORDER BY chain_seq LOOP
        UPDATE audit_log SET chain_seq = r.chain_seq - 1, prev_hash = prev,
               row_hash = hexops_audit_hash(prev, r.chain_seq - 1, r.audit_id, r.at, r.actor, r.action,
                                            r.target, r.reason, r.details)
         WHERE audit_id = r.audit_id RETURNING row_hash INTO prev;
    END LOOP;
END $$
"""


def _write(db_url: str, n: int) -> None:
    with psycopg.connect(db_url) as conn:
        for i in range(n):
            audit.record(conn, actor=f"user{i}", action="clip.view", target=f"clip-{i}", reason="case 4471")


def _as_superuser(pg_cluster, db_url: str, *statements: sql.Composable | str) -> None:
    with psycopg.connect(url_as(pg_cluster, db_url, "super"), autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        for statement in statements:
            conn.execute(statement)


@pytest.fixture
def verify_cli(db_url, monkeypatch, tmp_path):
    """``hexops audit verify`` against the test database, with the deployment's key and checkpoint file."""
    from hexops.cli import build_cli

    monkeypatch.setenv("HEXOPS_DATABASE_URL", db_url)
    monkeypatch.setenv("HEXOPS_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HEXOPS_AUDIT_KEY", TEST_AUDIT_KEY.hex())

    def run(*extra: str):
        return CliRunner().invoke(build_cli(), ["audit", "verify", *extra])

    return run


def test_the_private_cluster_refuses_a_connection_without_the_password(pg_cluster, db_url):
    for role in ("hexops", "hexops_owner", "hexops_app"):
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(host="127.0.0.1", port=pg_cluster.port, user=role, dbname=dbname_of(db_url),
                            passfile="/dev/null", connect_timeout=5)


def test_the_passwords_are_readable_by_their_owner_only(pg_cluster):
    directory = pg_cluster.secrets.directory
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for key in ("super", "owner", "app"):
        path = pg_cluster.secrets.passfile(key)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.stat().st_uid == os.geteuid()


def test_the_app_role_is_no_superuser_owns_no_table_and_cannot_switch_the_triggers_off(db_url):
    with psycopg.connect(db_url) as conn:
        superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
        owned = conn.execute("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "WHERE n.nspname = 'public' AND c.relowner = "
                             "(SELECT oid FROM pg_roles WHERE rolname = current_user)").fetchone()[0]
        assert not superuser and owned == 0
        for statement in ("SET session_replication_role = replica",
                          "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
                          "DROP TRIGGER audit_log_chain ON audit_log",
                          "INSERT INTO audit_log (actor, action, at) VALUES ('x', 'y', now() - interval '1 day')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()


def test_a_superuser_who_deletes_a_row_and_rehashes_the_chain_is_caught(pg_cluster, db_url, verify_cli):
    _write(db_url, 8)
    _as_superuser(pg_cluster, db_url, sql.SQL(REHASH_AFTER_DELETE).format(k=sql.Literal(4)))
    with psycopg.connect(db_url) as conn:
        assert audit.verify_chain(conn, check_seals=False).ok is True  # the hash chain alone is fooled
    result = verify_cli()
    assert result.exit_code == 1 and "without the audit key" in result.output, result.output


def test_a_superuser_who_also_deletes_the_seals_after_the_gap_is_caught(pg_cluster, db_url, verify_cli):
    _write(db_url, 8)
    _as_superuser(pg_cluster, db_url, sql.SQL(REHASH_AFTER_DELETE).format(k=sql.Literal(4)),
                  "DELETE FROM audit_seals WHERE chain_seq >= 4")
    result = verify_cli()
    assert result.exit_code == 1 and "no seal" in result.output, result.output


def test_a_superuser_who_edits_a_row_and_rehashes_the_rest_is_caught(pg_cluster, db_url, verify_cli):
    _write(db_url, 6)
    _as_superuser(pg_cluster, db_url, "UPDATE audit_log SET reason = 'routine check' WHERE chain_seq = 6",
                  "UPDATE audit_log SET row_hash = hexops_audit_hash(prev_hash, chain_seq, audit_id, at, actor, "
                  "action, target, reason, details) WHERE chain_seq = 6")
    result = verify_cli()
    assert result.exit_code == 1 and "position 6" in result.output, result.output


def test_cutting_the_newest_rows_with_their_seals_is_caught_by_the_checkpoint(pg_cluster, db_url, verify_cli):
    _write(db_url, 5)
    first = verify_cli()  # passes and checkpoints the head (position 5)
    _write(db_url, 2)
    _as_superuser(pg_cluster, db_url, "DELETE FROM audit_log WHERE chain_seq >= 4",
                  "DELETE FROM audit_seals WHERE chain_seq >= 4")
    with psycopg.connect(db_url) as conn:
        assert audit.verify_chain(conn, key=TEST_AUDIT_KEY).ok is True  # chain and seals alone are fooled
    result = verify_cli()
    assert first.exit_code == 0, first.output
    assert result.exit_code == 1 and "newest rows were deleted" in result.output, result.output
