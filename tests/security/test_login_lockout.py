"""Guessing passwords through the sign-in form (issue 10, finding 2).

As found: eight wrong passwords, then the right one, signed in -- the failure
count and the ``login.failure`` rows were written in the transaction the
refusal rolled back, so the lock-out never engaged and nothing was on record.
"""

from __future__ import annotations

import psycopg
import requests

from tests.fixtures.auth import DEFAULT_PASSWORD, create_user


def _post(base_url: str, username: str, password: str) -> requests.Response:
    return requests.post(base_url + "/auth/login", data={"username": username, "password": password},
                         allow_redirects=False, timeout=30)


def test_eight_wrong_passwords_lock_the_account_and_the_right_one_is_then_refused(db_url, start_live_app):
    create_user(db_url, "cmd", "commander")
    live = start_live_app(db_url)
    wrong = [_post(live.base_url, "cmd", f"guess-number-{i}") for i in range(8)]
    right = _post(live.base_url, "cmd", DEFAULT_PASSWORD)
    assert all(r.status_code == 303 and r.headers["Location"].startswith("/login?error") for r in wrong)
    assert right.status_code == 303 and right.headers["Location"].startswith("/login?error"), right.headers
    assert "session" not in right.cookies
    with psycopg.connect(db_url) as conn:
        failed, locked = conn.execute("SELECT failed_logins, locked_until > now() FROM users "
                                      "WHERE username = 'cmd'").fetchone()
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY chain_seq")]
    assert locked and failed == 5
    assert actions.count("login.failure") == 9 and actions.count("login.lockout") == 1
    assert "login.success" not in actions


def test_a_locked_account_an_unknown_name_and_a_wrong_password_answer_alike(db_url, start_live_app):
    create_user(db_url, "cmd", "commander")
    live = start_live_app(db_url)
    unknown = _post(live.base_url, "nobody", "guess-number-0")
    first_wrong = _post(live.base_url, "cmd", "guess-number-0")
    for i in range(5):
        _post(live.base_url, "cmd", f"guess-number-{i}")
    locked = _post(live.base_url, "cmd", DEFAULT_PASSWORD)
    assert unknown.headers["Location"] == first_wrong.headers["Location"] == locked.headers["Location"]
