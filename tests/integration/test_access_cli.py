"""``hexops users``, ``hexops grants``: accounts and grants from the command line."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from click.testing import CliRunner


@pytest.fixture
def run(db_url, monkeypatch, tmp_path):
    from hexops.cli import build_cli

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
    # A grant lasts at most MAX_GRANT_DAYS (730): the end of time is refused too.
    forever = run("grants", "add", "DSD", "rainfall", "--until", "2999-12-31T00:00+08:00")
    next_year = (datetime.now(timezone.utc) + timedelta(days=365)).isoformat(timespec="minutes")
    future = run("grants", "add", "DSD", "rainfall", "--until", next_year, "--reason", "MoU")
    listed = run("grants", "list")
    assert past.exit_code == 1 and "expires_at: must be in the future" in past.output.lower()
    assert forever.exit_code == 1 and "expires_at" in forever.output and "730 days" in forever.output
    assert future.exit_code == 0 and '"live": true' in listed.output


def test_a_new_password_lifts_a_lock_out(run, db_url):
    run("users", "add", "cmd", "--role", "commander", "--password-stdin", stdin="a-long-enough-password\n")
    with psycopg.connect(db_url) as conn:
        conn.execute("UPDATE users SET failed_logins = 9, locked_until = now() + interval '1 hour'")
    result = run("users", "passwd", "cmd", "--password-stdin", stdin="another-long-password\n")
    with psycopg.connect(db_url) as conn:
        state = conn.execute("SELECT failed_logins, locked_until FROM users").fetchone()
    assert result.exit_code == 0 and state == (0, None)


def test_a_disabled_webhook_endpoint_gets_no_new_alerts(run, db_url):
    from datetime import datetime, timezone

    from hexops.geodata.uow import UnitOfWork
    from hexops.services import webhooks
    from tests.fixtures.auth import grant_layers

    grant_layers(db_url, "DSD", ["flood_alerts"])
    added = run("webhooks", "add", "DSD", "http://127.0.0.1:9/hook")
    endpoint_id = added.output.split()[1].rstrip(";")
    disabled = run("webhooks", "disable", endpoint_id)
    with UnitOfWork.for_url(db_url) as uow:
        queued = webhooks.enqueue_flood_alert(uow, {"alert_id": "a1"}, now=datetime.now(timezone.utc))
    assert disabled.exit_code == 0 and queued == 0
