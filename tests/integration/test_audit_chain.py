"""The audit log is append-only, hash-chained and sealed: edits and deletions are detected.

Tampering here is done the way an attacker with the owner's or a
superuser's rights must do it (the application's role cannot change the
table at all); tests/security/test_audit_rewrite.py plays the full attack.
"""

from __future__ import annotations

import psycopg
import pytest
from click.testing import CliRunner

from hexops.geodata import audit
from tests.conftest import TEST_AUDIT_KEY, url_as


def _write_entries(conn, n: int) -> list[int]:
    return [audit.record(conn, actor=f"user{i}", action="partner.read", target=f"collection/{i}",
                         reason="test", details={"i": i, "note": "x" * i}) for i in range(n)]


@pytest.fixture
def tamper(pg_cluster, db_url):
    """Run one statement on the audit log as the table's owner, its append-only trigger switched off."""

    def run(statement: str, params: tuple) -> None:
        with psycopg.connect(url_as(pg_cluster, db_url, "owner")) as owner:
            owner.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            owner.execute(statement, params)
            owner.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")

    return run


def test_an_untouched_chain_verifies(db_url):
    with psycopg.connect(db_url) as conn:
        _write_entries(conn, 5)
        report = audit.verify_chain(conn)
    assert report.ok and report.rows == 5 and len(report.head_hash) == 64


def test_each_row_links_to_the_previous_rows_hash(db_url):
    with psycopg.connect(db_url) as conn:
        _write_entries(conn, 3)
        rows = conn.execute("SELECT prev_hash, row_hash FROM audit_log ORDER BY chain_seq").fetchall()
    assert rows[0][0] == bytes(32)
    assert [r[0] for r in rows[1:]] == [r[1] for r in rows[:-1]]


def test_the_app_role_may_not_update_delete_or_truncate_an_audit_row_nor_its_seal(db_url):
    with psycopg.connect(db_url) as conn:
        _write_entries(conn, 2)
        conn.commit()
        for statement in ("UPDATE audit_log SET actor = 'someone-else'", "DELETE FROM audit_log",
                          "TRUNCATE audit_log", "DELETE FROM audit_seals", "TRUNCATE audit_seals"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
                conn.execute(statement)
            conn.rollback()


def test_even_the_owner_is_refused_by_the_append_only_triggers(pg_cluster, db_url):
    with psycopg.connect(db_url) as conn:
        _write_entries(conn, 2)
    with psycopg.connect(url_as(pg_cluster, db_url, "owner")) as conn:
        for statement in ("UPDATE audit_log SET actor = 'someone-else'", "DELETE FROM audit_log",
                          "TRUNCATE audit_log", "DELETE FROM audit_seals"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(statement)
            conn.rollback()


def test_an_edited_row_is_reported_as_the_first_broken_link(db_url, tamper):
    with psycopg.connect(db_url) as conn:
        ids = _write_entries(conn, 6)
    tamper("UPDATE audit_log SET reason = 'nothing to see' WHERE audit_id = %s", (ids[3],))
    with psycopg.connect(db_url) as conn:
        report = audit.verify_chain(conn)
    assert not report.ok
    assert (report.first_bad_audit_id, report.first_bad_seq) == (ids[3], 4)
    assert "edited" in report.problem


def test_an_edit_with_a_recomputed_row_hash_still_breaks_the_next_link(db_url, tamper):
    with psycopg.connect(db_url) as conn:
        ids = _write_entries(conn, 4)
    tamper("UPDATE audit_log SET actor = 'forger', row_hash = hexops_audit_hash(prev_hash, chain_seq, "
           "audit_id, at, 'forger', action, target, reason, details) WHERE audit_id = %s", (ids[1],))
    with psycopg.connect(db_url) as conn:
        report = audit.verify_chain(conn)
    assert not report.ok and report.first_bad_audit_id == ids[2] and "link" in report.problem


def test_a_deleted_row_is_reported_where_the_gap_is(db_url, tamper):
    with psycopg.connect(db_url) as conn:
        ids = _write_entries(conn, 6)
    tamper("DELETE FROM audit_log WHERE audit_id = %s", (ids[2],))
    with psycopg.connect(db_url) as conn:
        report = audit.verify_chain(conn)
    assert not report.ok and report.first_bad_audit_id == ids[3]
    assert "3..3 missing" in report.problem


def test_every_row_carries_a_seal_that_only_the_key_reproduces(db_url):
    with psycopg.connect(db_url) as conn:
        _write_entries(conn, 3)
        rows = conn.execute("SELECT a.chain_seq, a.row_hash, s.mac FROM audit_log a "
                            "JOIN audit_seals s USING (chain_seq) ORDER BY 1").fetchall()
        assert audit.verify_chain(conn).sealed and audit.verify_chain(conn).ok
        assert not audit.verify_chain(conn, key=bytes(32)).ok
    assert len(rows) == 3 and all(bytes(mac) == audit.seal_mac(TEST_AUDIT_KEY, seq, rh) for seq, rh, mac in rows)


def test_an_entry_without_a_key_is_refused_rather_than_written_unsealed(db_url):
    audit.use_seal_key(None)
    try:
        with psycopg.connect(db_url) as conn, pytest.raises(audit.AuditKeyMissing):
            audit.record(conn, actor="x", action="test.unsealed")
    finally:
        audit.use_seal_key(TEST_AUDIT_KEY)


def test_hexops_audit_verify_exits_nonzero_and_names_the_broken_row(db_url, monkeypatch, tmp_path, tamper):
    from hexops.cli import build_cli

    with psycopg.connect(db_url) as conn:
        ids = _write_entries(conn, 3)
    monkeypatch.setenv("HEXOPS_DATABASE_URL", db_url)
    monkeypatch.setenv("HEXOPS_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HEXOPS_AUDIT_KEY", TEST_AUDIT_KEY.hex())
    runner = CliRunner()
    good = runner.invoke(build_cli(), ["audit", "verify"])
    tamper("UPDATE audit_log SET target = 'elsewhere' WHERE audit_id = %s", (ids[0],))
    bad = runner.invoke(build_cli(), ["audit", "verify"])
    assert good.exit_code == 0 and "3 rows, chain and seals intact" in good.output, good.output
    assert bad.exit_code == 1 and f"audit_id {ids[0]}" in bad.output


def test_hexops_audit_export_writes_the_filtered_rows_as_csv(db_url, monkeypatch, tmp_path):
    import csv

    from hexops.cli import build_cli

    with psycopg.connect(db_url) as conn:
        _write_entries(conn, 3)
        audit.record(conn, actor="adm", action="grant.change", target="DSD/rainfall")
    monkeypatch.setenv("HEXOPS_DATABASE_URL", db_url)
    monkeypatch.setenv("HEXOPS_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HEXOPS_AUDIT_KEY", TEST_AUDIT_KEY.hex())
    out = tmp_path / "audit.csv"
    result = CliRunner().invoke(build_cli(), ["audit", "export", "--action", "grant", "-o", str(out)])
    rows = list(csv.DictReader(out.open()))
    assert result.exit_code == 0, result.output
    assert [(r["actor"], r["action"], r["target"]) for r in rows] == [("adm", "grant.change", "DSD/rainfall")]


def test_rows_from_before_seals_fail_verify_until_sealed_once_and_checkpoints_follow_the_head(
        db_url, monkeypatch, tmp_path):
    from hexops.cli import build_cli

    with psycopg.connect(db_url) as conn:
        # What a database upgraded from before migration 036 holds: entries without seals.
        conn.execute("INSERT INTO audit_log (actor, action) VALUES ('legacy', 'grant.change')")
        _write_entries(conn, 2)
    monkeypatch.setenv("HEXOPS_DATABASE_URL", db_url)
    monkeypatch.setenv("HEXOPS_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HEXOPS_AUDIT_KEY", TEST_AUDIT_KEY.hex())
    runner = CliRunner()
    before = runner.invoke(build_cli(), ["audit", "verify"])
    sealed = runner.invoke(build_cli(), ["audit", "seal-unsealed"])
    after = runner.invoke(build_cli(), ["audit", "verify"])
    idle = runner.invoke(build_cli(), ["audit", "checkpoint"])  # only the last checkpoint's own row since
    with psycopg.connect(db_url) as conn:
        _write_entries(conn, 1)
    again = runner.invoke(build_cli(), ["audit", "checkpoint"])
    lines = (tmp_path / "audit" / "checkpoints.jsonl").read_text().splitlines()
    assert before.exit_code == 1 and "no seal" in before.output
    assert sealed.exit_code == 0 and "sealed 1 row" in sealed.output
    assert after.exit_code == 0 and "0 checkpoint(s) consistent" in after.output, after.output
    assert idle.exit_code == 0 and "nothing new" in idle.output
    assert again.exit_code == 0 and "checkpoint at position" in again.output and len(lines) == 2
    assert (tmp_path / "audit" / "checkpoints.jsonl").stat().st_mode & 0o777 == 0o600
