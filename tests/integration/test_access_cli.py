"""``hexops users``, ``hexops grants``: accounts and grants from the command line."""

from __future__ import annotations

import psycopg
import pytest
from click.testing import CliRunner


@pytest.fixture
def run(db_url, monkeypatch, tmp_path):
    from cli import build_cli

    monkeypatch.setenv("HEXOPS_DATABASE_URL", db_url)
    monkeypatch.setenv("HEXOPS_STATE_DIR", str(tmp_path))
    return lambda *args, stdin=None: CliRunner().invoke(build_cli(), list(args), input=stdin)


def test_a_user_is_created_with_a_password_from_stdin_and_gets_a_token(run, db_url):
    created = run("users", "add", "cmd", "--role", "commander", "--password-stdin",
                  stdin="a-long-enough-password\n")
    token = run("users", "token", "cmd", "--scope", "layers:read", "--days", "7")
    with psycopg.connect(db_url) as conn:
        scopes = conn.execute("SELECT scopes FROM api_tokens").fetchone()[0]
    assert created.exit_code == 0 and token.output.startswith("hxt_") and scopes == ["layers:read"]


def test_a_partner_without_department_is_refused_naming_the_field(run):
    result = run("users", "add", "p", "--role", "partner", "--password-stdin", stdin="a-long-enough-password\n")
    assert result.exit_code == 1 and "department" in result.output


def test_a_grant_in_the_past_is_refused_and_a_future_one_is_listed_live(run):
    past = run("grants", "add", "DSD", "rainfall", "--until", "2020-01-01T00:00+08:00")
    future = run("grants", "add", "DSD", "rainfall", "--until", "2099-01-01T00:00+08:00", "--reason", "MoU")
    listed = run("grants", "list")
    assert past.exit_code == 1 and "expires_at: must be in the future" in past.output
    assert future.exit_code == 0 and '"live": true' in listed.output
