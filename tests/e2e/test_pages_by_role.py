"""Every page as each role uses it, in one real Chromium: forms refuse bad input beside the field,
axe-core finds no critical or serious violation, and ``?lang=zh-Hant`` speaks Traditional Chinese
in a real CJK font.

One walk per role reuses one browser and one app; each page is loaded once (plus the role's first
page once more in Chinese).  axe-core comes from npm (tests/e2e/a11y, installed by
scripts/ensure_web_test_deps.sh) and is injected by WebDriver, so the pages' Content Security
Policy is untouched.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import psycopg
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.fixtures.auth import create_user, login
from tests.fixtures.browser import csp_violations, make_driver
from tests.fixtures.crowdflood_pages import save_screenshot
from tests.fixtures.live_app import LiveApp

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

AXE = Path(__file__).parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
#: Each role's pages and the element that shows the page has drawn its data.
WALKS = {
    "commander": [("/", "map-hexmap"), ("/commander", "commander-plan-units"), ("/events", "crowd-zones"),
                  ("/drainage", "drainage-rain")],
    "event_manager": [("/events", "crowd-zones"), ("/", "map-hexmap")],
    "partner": [("/drainage", "drainage-rain")],
    "admin": [("/admin", "admin-grants-table"), ("/admin/vault", "vault-status"), ("/system", "system-jobs-table")],
}
USERS = {"commander": "walk-cmd", "event_manager": "walk-em", "partner": "walk-dsd", "admin": "walk-adm"}


@pytest.fixture(scope="module")
def walk_app(pages_db_url):
    create_user(pages_db_url, USERS["commander"], "commander")
    create_user(pages_db_url, USERS["event_manager"], "event_manager")
    create_user(pages_db_url, USERS["partner"], "partner", department="DSD")
    create_user(pages_db_url, USERS["admin"], "admin")
    live = LiveApp(pages_db_url, Path(tempfile.mkdtemp(prefix="hexops-walk-")))
    yield live
    live.stop()


@pytest.fixture(scope="module")
def walk_browser():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: make test installs axe-core (scripts/ensure_web_test_deps.sh)")
    driver = make_driver()
    driver.set_window_size(1440, 900)
    try:
        yield driver
        violations = csp_violations(driver)
    finally:
        driver.quit()
    assert not violations, "the pages broke the Content Security Policy:\n" + "\n".join(violations)


def _axe(browser) -> list[str]:
    """Critical and serious axe-core violations of the page shown, one line each."""
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    found = browser.execute_async_script("""
        var done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']}).then(function (r) {
          done(r.violations.filter(function (v) { return v.impact === 'critical' || v.impact === 'serious'; })
            .map(function (v) { return v.impact + ' ' + v.id + ': ' + v.nodes.slice(0, 3).map(function (n) {
              return n.target.join(' '); }).join(' | '); }));
        }, function (e) { done(['axe failed: ' + e]); });
    """)
    return found


def _error(browser, control_id: str) -> str:
    found = browser.find_elements(By.ID, f"{control_id}-error")
    return found[0].text if found else ""


def _type(browser, control_id: str, text: str) -> None:
    box = browser.find_element(By.ID, control_id)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    if text:
        # A long text is set at once (typing 3,000 keys takes seconds); React hears the input event.
        browser.execute_script(
            "var el = arguments[0]; var set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;"
            "set.call(el, arguments[1]); el.dispatchEvent(new Event('input', {bubbles: true}));", box, text)


def _refused(browser, control_id: str, value: str, button_id: str, expected: str, wait) -> None:
    """Type ``value``, press ``button_id``, and wait for ``expected`` beside the field.

    Consecutive calls on one field expect different sentences, so a stale one never passes.
    """
    _type(browser, control_id, value)
    browser.find_element(By.ID, button_id).click()
    try:
        wait.until(lambda b: expected in _error(b, control_id))
    except Exception:
        raise AssertionError(f"{control_id}={value[:20]!r}: expected {expected!r} beside the field, "
                             f"saw {_error(browser, control_id)!r}") from None


def _commander_forms(browser, wait) -> None:
    for value, expected in (("99999", "at most 200"), ("0", "at least 1"), ("", "Required"),
                            ("-5", "at least 1"), ("2.5", "no fractions"), ("six", "Enter a whole number from 1")):
        _refused(browser, "commander-plan-units", value, "commander-plan-make", expected, wait)
    assert browser.find_elements(By.ID, "commander-plan-summary") == []  # nothing was drafted


def _events_forms(browser, wait) -> None:
    # No polygon drawn: refused first, beside the map's drawing controls.
    browser.find_element(By.ID, "crowd-draw-save").click()
    wait.until(lambda b: "Draw the zone on the map first" in _error(b, "crowd-draw-polygon"))
    # The capacity and name rules themselves are checked without a drawing by the service's tests;
    # here the page's own check of each bad capacity is driven with a drawn ring in the store.
    browser.execute_script("""
        var ring = [[114.170, 22.295], [114.172, 22.295], [114.171, 22.297], [114.170, 22.295]];
        window.dash_clientside.set_props('crowd-hexmap-drawn', {data: ring});""")
    _type(browser, "crowd-draw-name", "Harbour steps")
    for value, expected in (("0", "at least 1"), ("12.5", "no fractions"), ("-10", "at least 1"),
                            ("1e12", "at most 1000000"), ("", "Required")):
        _refused(browser, "crowd-draw-capacity", value, "crowd-draw-save", expected, wait)
    _type(browser, "crowd-draw-capacity", "500")
    _refused(browser, "crowd-draw-name", "", "crowd-draw-save", "Required", wait)
    _refused(browser, "crowd-draw-name", "x" * 300, "crowd-draw-save", "at most 200 allowed", wait)


def _choose(browser, wait, dropdown_id: str, value: str) -> None:
    field = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, f"#{dropdown_id} input")))
    field.send_keys(value)
    field.send_keys("\n")


def _admin_forms(browser, wait, db_url: str) -> None:
    # Grant: bad reason length, then an expiry at the end of time and one in the past (typed into the picker;
    # the same sentence twice, so the second wait also checks the picker holds the second date).
    _choose(browser, wait, "admin-grant-department", "TD")
    _choose(browser, wait, "admin-grant-layer", "rainfall")
    _refused(browser, "admin-grant-reason", "r" * 3000, "admin-grant-add", "at most 500 allowed", wait)
    _type(browser, "admin-grant-reason", "MoU 2026-17")
    for typed in ("9999-12-31", "2020-01-01"):
        picker = browser.find_element(By.CSS_SELECTOR, "#admin-grant-expiry input")
        picker.send_keys(Keys.CONTROL, "a")
        picker.send_keys(typed)
        picker.send_keys(Keys.ESCAPE)
        browser.find_element(By.ID, "admin-grant-add").click()
        wait.until(lambda b, typed=typed: "Choose a date from" in _error(b, "admin-grant-expiry")
                   and b.find_element(By.CSS_SELECTOR, "#admin-grant-expiry input").get_attribute("value") == typed)
    # Revoke: a fractional id, nothing, a grant that is not in force; then a real one, confirmed.
    for value, expected in (("1.5", "no fractions"), ("", "Required"), ("-1", "at least 1"),
                            ("999999", "No grant number 999999")):
        _refused(browser, "admin-grant-revoke-id", value, "admin-grant-revoke", expected, wait)
    with psycopg.connect(db_url) as conn:
        grant_id = conn.execute("INSERT INTO layer_grants (department_code, layer, expires_at, granted_by) "
                                "VALUES ('TD', 'rainfall', now() + interval '1 day', 'walk') "
                                "RETURNING grant_id").fetchone()[0]
    _type(browser, "admin-grant-revoke-id", str(grant_id))
    browser.find_element(By.ID, "admin-grant-revoke").click()
    wait.until(ec.alert_is_present())
    alert = browser.switch_to.alert
    assert f"Revoke grant {grant_id}: TD loses rainfall" in alert.text
    alert.dismiss()  # cancelled: nothing revoked
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT revoked_at IS NULL FROM layer_grants WHERE grant_id = %s",
                            (grant_id,)).fetchone() == (True,)
    browser.find_element(By.ID, "admin-grant-revoke").click()
    wait.until(ec.alert_is_present())
    browser.switch_to.alert.accept()
    wait.until(lambda b: f"Revoked grant {grant_id}" in b.find_element(By.ID, "admin-grant-revoke-message").text)
    # Disabling asks first too; an unknown name is refused beside the field.
    _refused(browser, "admin-user-disable-name", "nobody-here", "admin-user-disable", "No user nobody-here", wait)
    with psycopg.connect(db_url) as conn:
        granted = conn.execute("SELECT count(*) FROM layer_grants WHERE granted_by = %s",
                               (USERS["admin"],)).fetchone()[0]
    assert granted == 0  # every refused grant wrote nothing
    # A request the server refuses is shown, not swallowed: the banner carries the server's own sentence.
    browser.execute_async_script("""
        var done = arguments[arguments.length - 1];
        fetch('/_dash-update-component', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                          body: '{"output": "nothing.children"}'}).then(function () { done(); });""")
    wait.until(lambda b: b.find_element(By.ID, "shell-error").is_displayed())
    assert browser.find_element(By.ID, "shell-error-text").text.startswith("The server refused this:")
    browser.find_element(By.ID, "shell-error-close").click()
    wait.until(lambda b: not b.find_element(By.ID, "shell-error").is_displayed())


FORMS = {"/commander": _commander_forms, "/events": _events_forms}


def _cjk_rendered(browser) -> dict:
    """Widths of a Chinese string and of unassigned code points (tofu) in the navigation's own font."""
    return browser.execute_async_script("""
        var done = arguments[arguments.length - 1];
        document.fonts.ready.then(function () {
          var link = document.querySelector('.shell-nav-link');
          var font = getComputedStyle(link).font;
          var ctx = document.createElement('canvas').getContext('2d');
          ctx.font = font;
          var size = parseFloat(getComputedStyle(link).fontSize);
          done({font: font, size: size, text: link.textContent,
                cjk: ctx.measureText('\\u5730\\u5716\\u6307\\u63ee').width,
                tofu: ctx.measureText('\\u0378\\u0379\\u0380\\u0381').width,
                loaded: document.fonts.check(size + 'px "Noto Sans HK"', '\\u5730\\u5716')});
        });
    """)


def _language_is_the_persons_own(browser, wait, base_url: str, db_url: str, path: str, marker: str) -> None:
    """The header's button stores the choice for the person: a new sign-in opens in that language."""
    browser.get(base_url + path + "?lang=en")
    wait.until(ec.presence_of_element_located((By.ID, marker)))
    browser.find_element(By.CSS_SELECTOR, '.shell-lang-button[value="zh-Hant"]').click()
    wait.until(lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-Hant")
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT language FROM users WHERE username = %s",
                            (USERS["partner"],)).fetchone() == ("zh-Hant",)
    browser.get(base_url + "/auth/logout")
    browser.delete_all_cookies()
    login(browser, base_url, USERS["partner"], next_path=path)
    wait.until(ec.presence_of_element_located((By.ID, marker)))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-Hant"
    browser.find_element(By.CSS_SELECTOR, '.shell-lang-button[value="en"]').click()
    wait.until(lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")


@pytest.mark.parametrize("role", list(WALKS))
def test_each_role_walks_its_pages_forms_refuse_bad_input_axe_finds_nothing_serious_and_chinese_renders(
        role, walk_app, walk_browser, pages_db_url):
    browser = walk_browser
    browser.delete_all_cookies()
    problems: list[str] = []
    if role == "commander":  # the public sign-in page, once
        browser.get(walk_app.base_url + "/login")
        WebDriverWait(browser, 40).until(ec.presence_of_element_located((By.ID, "login-username")))
        problems += [f"/login: {v}" for v in _axe(browser)]
    login(browser, walk_app.base_url, USERS[role])
    wait = WebDriverWait(browser, 40)
    for path, marker in WALKS[role]:
        browser.get(walk_app.base_url + path)
        wait.until(ec.presence_of_element_located((By.ID, marker)))
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
        problems += [f"{path}: {v}" for v in _axe(browser)]
        if path in FORMS:
            FORMS[path](browser, wait)
        if path == "/admin":
            _admin_forms(browser, wait, pages_db_url)
        save_screenshot(browser, f"walk-{role}{path.replace('/', '-')}")
    # The role's first page once more, in Traditional Chinese.
    first, marker = WALKS[role][0]
    browser.get(walk_app.base_url + first + "?lang=zh-Hant")
    wait.until(ec.presence_of_element_located((By.ID, marker)))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-Hant"
    nav = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".shell-nav-link")]
    assert nav and all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in nav), nav
    assert browser.find_element(By.ID, "shell-auth").text == "\u767b\u51fa"  # Sign out
    shown = _cjk_rendered(browser)
    save_screenshot(browser, f"walk-{role}-zh-Hant")
    # Four CJK glyphs are each about one em wide; four missing glyphs are the fallback's box width.
    assert shown["loaded"], shown
    assert abs(shown["cjk"] - 4 * shown["size"]) < 0.5 * shown["size"], shown
    assert abs(shown["cjk"] - shown["tofu"]) > 0.5 * shown["size"], shown
    problems += [f"{first}?lang=zh-Hant: {v}" for v in _axe(browser)]
    if role == "partner":
        _language_is_the_persons_own(browser, wait, walk_app.base_url, pages_db_url, first, marker)
    assert not problems, "axe-core found critical or serious violations:\n" + "\n".join(problems)
