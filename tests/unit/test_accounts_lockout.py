"""Lock-out and the record of refused sign-ins, through the accounts service on a fake unit of work.

The refusal is an exception; what it must leave behind (the failure count,
the lock, the audit entries) has to be committed before it is raised, or
the unit of work throws it away with everything else.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hexops.services import accounts
from tests.fakes import FakeAccounts, FakeAudit, FakeGrants, FakeUnitOfWork

POLICY = accounts.Policy(session_seconds=3600, lockout_failures=5, lockout_seconds=900)
NOW = datetime(2026, 11, 21, 8, 0, tzinfo=timezone.utc)
PASSWORD = "correct-horse-battery-staple"
#: argon2 is slow by design; one hash serves every test here.
HASH = accounts.hash_password(PASSWORD)


def _uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork(accounts=FakeAccounts(), audit=FakeAudit(), grants=FakeGrants())
    uow.accounts.add_user("cmd", "commander", HASH)
    return uow


def _fail(uow, password: str = "wrong-password-here", now: datetime = NOW) -> None:
    with pytest.raises(accounts.AccountError):
        accounts.login(uow, "cmd", password, POLICY, now=now)


def test_eight_wrong_passwords_then_the_right_one_is_refused():
    uow = _uow()
    for _ in range(8):
        _fail(uow)
    _fail(uow, PASSWORD)
    assert uow.accounts.users["cmd"]["locked_until"] == NOW + timedelta(seconds=POLICY.lockout_seconds)


def test_each_refusal_is_committed_before_the_error_and_the_lock_is_audited_once():
    uow = _uow()
    for _ in range(POLICY.lockout_failures):
        _fail(uow)
    actions = uow.audit.actions()
    assert actions.count("login.failure") == POLICY.lockout_failures
    assert actions.count("login.lockout") == 1
    assert uow.accounts.users["cmd"]["failed_logins"] == POLICY.lockout_failures


def test_a_locked_account_and_an_unknown_name_get_the_same_message_as_a_wrong_password():
    uow = _uow()
    messages = set()
    for name, password in (("cmd", "wrong-password-here"), ("nobody", PASSWORD)):
        with pytest.raises(accounts.AccountError) as caught:
            accounts.login(uow, name, password, POLICY, now=NOW)
        messages.add(str(caught.value))
    for _ in range(POLICY.lockout_failures):
        _fail(uow)
    with pytest.raises(accounts.AccountError) as caught:
        accounts.login(uow, "cmd", PASSWORD, POLICY, now=NOW)
    messages.add(str(caught.value))
    assert messages == {accounts.REFUSED}


def test_the_lock_lifts_after_its_time_and_a_success_clears_the_count():
    uow = _uow()
    for _ in range(POLICY.lockout_failures):
        _fail(uow)
    later = NOW + timedelta(seconds=POLICY.lockout_seconds + 1)
    _, user = accounts.login(uow, "cmd", PASSWORD, POLICY, now=later)
    assert user.username == "cmd"
    assert (uow.accounts.users["cmd"]["failed_logins"], uow.accounts.users["cmd"]["locked_until"]) == (0, None)


def test_a_success_writes_nothing_until_it_commits_as_a_whole():
    uow = _uow()
    session_id, _ = accounts.login(uow, "cmd", PASSWORD, POLICY, now=NOW)
    assert accounts.user_for_session(uow, session_id).username == "cmd"
    assert uow.audit.actions() == ["login.success"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=3000), min_size=1, max_size=30))
def test_the_account_locks_exactly_when_the_failures_since_the_last_lock_reach_the_limit(gaps):
    """Wrong passwords at arbitrary gaps (s): locked iff the latest run of failures reached the limit."""
    failures, locked_until, now = 0, None, NOW
    for gap in gaps:
        now += timedelta(seconds=gap)
        if locked_until is not None and locked_until > now:
            continue  # a locked account's attempts are refused before they count
        failures, locked_until = accounts.after_failure(failures, locked_until, now, POLICY)
        assert 1 <= failures <= POLICY.lockout_failures
        assert (locked_until is not None) == (failures == POLICY.lockout_failures)
