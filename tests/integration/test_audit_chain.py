"""The audit log is append-only and hash-chained: edits and deletions are detected."""

from __future__ import annotations

import psycopg
import pytest
from click.testing import CliRunner

from hexops.geodata import audit


def _write_entries(conn, n: int) -> list[int]:
    return [audit.record(conn, actor=f"user{i}", action="partner.read", target=f"collection/{i}",
                         reason="test", details={"i": i, "note": "x" * i}) for i in range(n)]


def _tamper(conn, statement: str, params: tuple) -> None:
    # What an attacker with the table owner's rights would have to do first.
    conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    conn.execute(statement, params)
    conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")


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


def test_updating_or_deleting_an_audit_row_is_refused(db_url):
    with psycopg.connect(db_url) as conn:
        _write_entries(conn, 2)
        conn.commit()
        for statement in ("UPDATE audit_log SET actor = 'someone-else'", "DELETE FROM audit_log",
                          "TRUNCATE audit_log"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(statement)
            conn.rollback()


def test_an_edited_row_is_reported_as_the_first_broken_link(db_url):
    with psycopg.connect(db_url) as conn:
        ids = _write_entries(conn, 6)
        _tamper(conn, "UPDATE audit_log SET reason = 'nothing to see' WHERE audit_id = %s", (ids[3],))
        report = audit.verify_chain(conn)
    assert not report.ok
    assert (report.first_bad_audit_id, report.first_bad_seq) == (ids[3], 4)
    assert "edited" in report.problem


def test_an_edit_with_a_recomputed_row_hash_still_breaks_the_next_link(db_url):
    with psycopg.connect(db_url) as conn:
        ids = _write_entries(conn, 4)
        _tamper(conn, "UPDATE audit_log SET actor = 'forger', row_hash = hexops_audit_hash(prev_hash, chain_seq, "
                      "audit_id, at, 'forger', action, target, reason, details) WHERE audit_id = %s", (ids[1],))
        report = audit.verify_chain(conn)
    assert not report.ok and report.first_bad_audit_id == ids[2] and "link" in report.problem


def test_a_deleted_row_is_reported_where_the_gap_is(db_url):
    with psycopg.connect(db_url) as conn:
        ids = _write_entries(conn, 6)
        _tamper(conn, "DELETE FROM audit_log WHERE audit_id = %s", (ids[2],))
        report = audit.verify_chain(conn)
    assert not report.ok and report.first_bad_audit_id == ids[3]
    assert "3..3 missing" in report.problem


def test_hexops_audit_verify_exits_nonzero_and_names_the_broken_row(db_url, monkeypatch, tmp_path):
    from hexops.cli import build_cli

    with psycopg.connect(db_url) as conn:
        ids = _write_entries(conn, 3)
    monkeypatch.setenv("HEXOPS_DATABASE_URL", db_url)
    monkeypatch.setenv("HEXOPS_STATE_DIR", str(tmp_path))
    runner = CliRunner()
    good = runner.invoke(build_cli(), ["audit", "verify"])
    with psycopg.connect(db_url) as conn:
        _tamper(conn, "UPDATE audit_log SET target = 'elsewhere' WHERE audit_id = %s", (ids[0],))
    bad = runner.invoke(build_cli(), ["audit", "verify"])
    assert good.exit_code == 0 and "3 rows, chain intact" in good.output
    assert bad.exit_code == 1 and f"audit_id {ids[0]}" in bad.output


def test_hexops_audit_export_writes_the_filtered_rows_as_csv(db_url, monkeypatch, tmp_path):
    import csv

    from hexops.cli import build_cli

    with psycopg.connect(db_url) as conn:
        _write_entries(conn, 3)
        audit.record(conn, actor="adm", action="grant.change", target="DSD/rainfall")
    monkeypatch.setenv("HEXOPS_DATABASE_URL", db_url)
    monkeypatch.setenv("HEXOPS_STATE_DIR", str(tmp_path))
    out = tmp_path / "audit.csv"
    result = CliRunner().invoke(build_cli(), ["audit", "export", "--action", "grant", "-o", str(out)])
    rows = list(csv.DictReader(out.open()))
    assert result.exit_code == 0, result.output
    assert [(r["actor"], r["action"], r["target"]) for r in rows] == [("adm", "grant.change", "DSD/rainfall")]
