"""Password login, sessions, lock-out and API tokens against a real PostGIS database."""

from __future__ import annotations

import psycopg
import pytest

from hexops.services import accounts
from tests.fixtures.auth import DEFAULT_PASSWORD, create_user, grant_layers, issue_token, uow_for

POLICY = accounts.Policy(session_seconds=3600, lockout_failures=3, lockout_seconds=600)


def test_a_password_is_stored_only_as_an_argon2id_hash(db_url):
    create_user(db_url, "cmd", "commander")
    with psycopg.connect(db_url) as conn:
        stored = conn.execute("SELECT password_hash FROM users WHERE username = 'cmd'").fetchone()[0]
    assert stored.startswith("$argon2id$") and DEFAULT_PASSWORD not in stored


def test_a_correct_password_opens_a_session_that_resolves_to_the_user(db_url):
    create_user(db_url, "drainage-partner", "partner", department="DSD")
    grant_layers(db_url, "DSD", ["rainfall"])
    session_id, user = accounts.login(uow_for(db_url), "drainage-partner", DEFAULT_PASSWORD, POLICY)
    again = accounts.user_for_session(uow_for(db_url), session_id)
    assert (user.role, user.department, user.layers) == ("partner", "DSD", frozenset({"rainfall"}))
    assert again == user


def test_a_wrong_password_and_an_unknown_name_give_the_same_message_and_are_audited(db_url):
    create_user(db_url, "cmd", "commander")
    messages = []
    for name in ("cmd", "nobody"):
        with pytest.raises(accounts.AccountError) as caught:
            accounts.login(uow_for(db_url), name, "wrong-password-here", POLICY)
        messages.append(str(caught.value))
    with psycopg.connect(db_url) as conn:
        failures = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'login.failure'").fetchone()[0]
    assert messages[0] == messages[1] and failures == 2


def test_repeated_failures_lock_the_account_even_for_the_right_password(db_url):
    create_user(db_url, "cmd", "commander")
    for _ in range(POLICY.lockout_failures):
        with pytest.raises(accounts.AccountError):
            accounts.login(uow_for(db_url), "cmd", "wrong-password-here", POLICY)
    with pytest.raises(accounts.AccountError, match="locked"):
        accounts.login(uow_for(db_url), "cmd", DEFAULT_PASSWORD, POLICY)
    with psycopg.connect(db_url) as conn:
        failures, locked = conn.execute("SELECT failed_logins, locked_until > now() FROM users").fetchone()
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY chain_seq")]
    assert (failures, locked) == (POLICY.lockout_failures, True)
    assert actions.count("login.failure") == POLICY.lockout_failures + 1 and actions.count("login.lockout") == 1


def test_a_success_before_the_limit_resets_the_failure_count(db_url):
    create_user(db_url, "cmd", "commander")
    for _ in range(POLICY.lockout_failures - 1):
        with pytest.raises(accounts.AccountError):
            accounts.login(uow_for(db_url), "cmd", "wrong-password-here", POLICY)
    accounts.login(uow_for(db_url), "cmd", DEFAULT_PASSWORD, POLICY)
    with psycopg.connect(db_url) as conn:
        count = conn.execute("SELECT failed_logins FROM users WHERE username = 'cmd'").fetchone()[0]
    assert count == 0


def test_an_expired_session_no_longer_resolves(db_url):
    create_user(db_url, "cmd", "commander")
    session_id, _ = accounts.login(uow_for(db_url), "cmd", DEFAULT_PASSWORD, POLICY)
    with psycopg.connect(db_url) as conn:
        conn.execute("UPDATE user_sessions SET expires_at = now() - interval '1 second'")
    assert accounts.user_for_session(uow_for(db_url), session_id) is None


def test_a_logged_out_session_no_longer_resolves(db_url):
    create_user(db_url, "cmd", "commander")
    session_id, _ = accounts.login(uow_for(db_url), "cmd", DEFAULT_PASSWORD, POLICY)
    accounts.logout(uow_for(db_url), session_id, "cmd")
    assert accounts.user_for_session(uow_for(db_url), session_id) is None


def test_a_token_is_stored_hashed_carries_its_scopes_and_stops_when_expired(db_url):
    create_user(db_url, "gw", "device", department="HKPF")
    token = issue_token(db_url, "gw", scopes=["detections:write"])
    with psycopg.connect(db_url) as conn:
        stored = conn.execute("SELECT token_hash FROM api_tokens").fetchone()[0]
    user = accounts.user_for_token(uow_for(db_url), token)
    with psycopg.connect(db_url) as conn:
        conn.execute("UPDATE api_tokens SET expires_at = now() - interval '1 second', "
                     "created_at = now() - interval '1 day'")
    expired = accounts.user_for_token(uow_for(db_url), token)
    assert token.encode() not in bytes(stored)
    assert (user.role, user.department, user.scopes, user.via_token) == (
        "device", "HKPF", frozenset({"detections:write"}), True)
    assert expired is None


def test_a_partner_without_a_department_is_refused_with_the_field_named(db_url):
    with pytest.raises(accounts.AccountError, match="department"):
        accounts.create_user(uow_for(db_url), "lonely", "partner", DEFAULT_PASSWORD)


def test_a_short_password_is_refused(db_url):
    with pytest.raises(accounts.AccountError, match="password"):
        accounts.create_user(uow_for(db_url), "cmd", "commander", "short")


def test_after_a_lock_runs_out_one_more_mistake_does_not_lock_again(db_url):
    create_user(db_url, "cmd", "commander")
    for _ in range(POLICY.lockout_failures):
        with pytest.raises(accounts.AccountError):
            accounts.login(uow_for(db_url), "cmd", "wrong-password-here", POLICY)
    with psycopg.connect(db_url) as conn:
        conn.execute("UPDATE users SET locked_until = now() - interval '1 second'")
    with pytest.raises(accounts.AccountError, match="wrong user name"):
        accounts.login(uow_for(db_url), "cmd", "wrong-password-here", POLICY)
    session_id, user = accounts.login(uow_for(db_url), "cmd", DEFAULT_PASSWORD, POLICY)
    assert user.username == "cmd"
