"""The Drainage page in a real Chromium: a DSD partner with flood_alerts sees floods, rain and crews."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.fixtures.auth import login, login_session
from tests.fixtures.crowdflood_pages import save_screenshot

STORM_TIME = "2026-10-02T08:15:00Z"  # 16:15 HKT, Black rain, the low-lying roads flooded


def _text(browser, element_id):
    found = browser.find_elements(By.ID, element_id)
    return found[0].text if found else ""


def test_a_drainage_partner_sees_flooded_hexes_the_black_signal_and_crew_assignments(
        pages_db_url, start_live_app, browser):
    live = start_live_app(pages_db_url)
    login(browser, live.base_url, "dsd-pages")
    browser.get(f"{live.base_url}/drainage?at={STORM_TIME}")
    wait = WebDriverWait(browser, 40)
    wait.until(lambda b: "flooded (was " in _text(b, "drainage-alerts"))
    assert "BLACK RAINSTORM" in _text(browser, "drainage-signal")
    crews = _text(browser, "drainage-crews")
    assert "DSD-" in crews and "min" in crews
    assert "16:15 HKT" in _text(browser, "drainage-asof")
    # Not granted camera_positions: no camera counts, in words or through the severity (issue 10, finding 4).
    assert "camera" not in _text(browser, "drainage-alerts") and "mm/h" in _text(browser, "drainage-alerts")
    severities = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "#drainage-crew-table tbody td:nth-child(5)")]
    assert severities and set(severities) == {"\u2013"}
    wait.until(lambda b: int(b.find_element(By.ID, "drainage-hexmap").get_attribute("data-drawn-cells") or 0) > 0)
    save_screenshot(browser, "drainage")


def test_a_partner_without_the_flood_alerts_grant_is_refused_the_drainage_page(pages_db_url, start_live_app):
    live = start_live_app(pages_db_url)
    http = login_session(live.base_url, "td-pages")
    assert http.get(live.base_url + "/drainage", timeout=30).status_code == 403
