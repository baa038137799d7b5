"""Finding 3 of issue 10: ``next`` after sign-in must lead back to this site, never elsewhere.

``next=/<TAB>/evil.example/phish`` was redirected to as given; browsers drop
tabs and newlines inside a ``Location`` and so went to ``//evil.example``.
CR or LF in ``next`` made the redirect itself fail with a 500.  The property
test plays the browser: it resolves whatever ``safe_next`` lets through the
way the URL standard does (tabs and newlines removed, backslashes read as
slashes) and checks that the result stays on the site.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hexops.dashboard.api.auth import safe_next
from tests.security.conftest import PEOPLE
from tests.fixtures.auth import DEFAULT_PASSWORD

SITE = "https://hexops.example"
ATTACKS = [
    "/\t/evil.example/phish", "/\n/evil.example", "/\r\n/evil.example", "/\r/evil.example", "//evil.example",
    "///evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example", "http:/evil.example",
    "javascript:alert(1)", "/\x00/evil.example", " //evil.example", "\t//evil.example", "/%0a/x",
    "/ /evil.example", "//evil.example/%2F..", "/admin\r\nSet-Cookie: a=b", "/" + "a" * 5000,
    "/\u3000/evil.example", "/\u2028/evil.example", "/\x7f/evil.example", "/\\/evil.example",
]


def browser_resolves(location: str) -> str:
    """Where a browser goes for ``Location: location`` on a page of :data:`SITE` (WHATWG URL rules)."""
    cleaned = location.strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
                             "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
    cleaned = cleaned.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    return urljoin(SITE + "/login", cleaned)


@settings(max_examples=400, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), st.text(alphabet="/\\\t\n\r .:%@?#evilx\x00\x7f", max_size=30),
                 st.sampled_from(ATTACKS)))
def test_whatever_next_is_the_browser_stays_on_the_site(target):
    kept = safe_next(target)
    if kept is not None:
        landed = urlsplit(browser_resolves(kept))
        assert (landed.scheme, landed.netloc) == ("https", "hexops.example"), (target, kept)
        assert kept.isascii() and kept.isprintable()


@pytest.mark.parametrize("target", ATTACKS)
def test_signing_in_with_a_hostile_next_lands_on_the_site(attack_world, target):
    import requests

    response = requests.post(attack_world.base_url + "/auth/login", allow_redirects=False, timeout=30,
                             data={"username": PEOPLE["commander"], "password": DEFAULT_PASSWORD, "next": target})
    assert response.status_code == 303, response.status_code
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location
    assert urlsplit(browser_resolves(location)).netloc == "hexops.example"


def test_a_safe_next_is_still_followed(attack_world):
    import requests

    response = requests.post(attack_world.base_url + "/auth/login", allow_redirects=False, timeout=30,
                             data={"username": PEOPLE["commander"], "password": DEFAULT_PASSWORD,
                                   "next": "/commander?at=2026-10-01T21:00+08:00"})
    assert response.headers["Location"] == "/commander?at=2026-10-01T21:00+08:00"


def test_a_guest_sent_to_sign_in_from_a_hostile_path_gets_no_500(attack_world):
    import requests

    for path in ("/admin?x=%0d%0aSet-Cookie:%20a=b", "/%0d%0a//evil.example", "/admin?next=//evil.example"):
        response = requests.get(attack_world.base_url + path, allow_redirects=False, timeout=30)
        assert response.status_code in (302, 404), (path, response.status_code)
        assert "\r" not in response.headers.get("Location", "") and "\n" not in response.headers.get("Location", "")


def test_a_user_name_with_control_characters_is_refused_like_an_unknown_one(attack_world):
    import requests

    for name in ("sec-\x00admin", "a\r\nb", "x" * 10_000):
        response = requests.post(attack_world.base_url + "/auth/login", allow_redirects=False, timeout=30,
                                 data={"username": name, "password": "whatever-long-enough"})
        assert response.status_code == 303 and response.headers["Location"].startswith("/login?error=")


def test_a_link_on_another_site_does_not_sign_the_user_out(attack_world):
    from tests.fixtures.auth import login_session

    http = login_session(attack_world.base_url, PEOPLE["event_manager"])
    foreign = http.get(attack_world.base_url + "/auth/logout", headers={"Sec-Fetch-Site": "cross-site"},
                       allow_redirects=False, timeout=30)
    still = http.get(attack_world.base_url + "/api/v1/whoami", timeout=30)
    own = http.get(attack_world.base_url + "/auth/logout", headers={"Sec-Fetch-Site": "same-origin"},
                   allow_redirects=False, timeout=30)
    after = http.get(attack_world.base_url + "/api/v1/whoami", timeout=30)
    assert (foreign.status_code, still.status_code, own.status_code, after.status_code) == (303, 200, 303, 401)



def _login_page(world, search: str) -> str:
    """The sign-in page as hexops's router draws it for a guest at ``/login?<search>``."""
    from urllib.parse import urlencode

    from tests.fixtures.dash_calls import router_body

    body = router_body("/login", "?" + urlencode({"error": search}))
    answer = world.http("guest").post(world.base_url + "/_dash-update-component", json=body, timeout=30)
    assert answer.status_code == 200, answer.text[:300]
    return answer.text


def test_a_crafted_sign_in_link_cannot_put_its_own_words_on_the_page(attack_world):
    """?error= carries a code the page words; any other text is never shown on hexops's sign-in page."""
    bait = "Your account is suspended: call +852 0000 0000 and read out your password"
    crafted = _login_page(attack_world, bait)
    assert "suspended" not in crafted and "login-error" not in crafted
    assert "wrong user name or password" in _login_page(attack_world, "refused")
