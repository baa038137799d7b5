"""The event manager's page in a real Chromium: zones, alerts with acknowledgement, a live map, replay."""

from __future__ import annotations

import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.fixtures.auth import login, login_session
from tests.fixtures.crowdflood_pages import save_screenshot

SHOW_TIME = "2026-10-01T13:00:00Z"  # 21:00 HKT, the fireworks begin


def _text(browser, element_id):
    found = browser.find_elements(By.ID, element_id)
    return found[0].text if found else ""


def test_the_event_manager_sees_zone_occupancy_level_of_service_saturation_and_acknowledges_an_alert(
        pages_db_url, start_live_app, browser):
    live = start_live_app(pages_db_url)
    login(browser, live.base_url, "em-pages")
    browser.get(f"{live.base_url}/events?at={SHOW_TIME}")
    wait = WebDriverWait(browser, 40)
    wait.until(lambda b: "Tsim Sha Tsui" in _text(b, "crowd-zones"))
    tst = browser.find_element(By.ID, "crowd-zone-TST").text
    assert " F " in f" {tst} " and "%" in tst
    assert "saturated" in tst  # the densest zone's saturated cameras are marked, not hidden
    assert "21:00 HKT" in _text(browser, "crowd-asof") and "replay link" in _text(browser, "crowd-asof")
    wait.until(lambda b: int(b.find_element(By.ID, "crowd-hexmap").get_attribute("data-drawn-cells") or 0) > 0)
    save_screenshot(browser, "events")

    buttons = browser.find_elements(By.CSS_SELECTOR, "#crowd-alerts .ack-button")
    assert buttons, "open alerts at the show should offer Acknowledge"
    before = len(buttons)
    buttons[0].click()
    wait.until(lambda b: "acknowledged by em-pages" in _text(b, "crowd-alerts"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#crowd-alerts .ack-button")) == before - 1


def test_the_live_map_refreshes_every_five_seconds_without_fetching_geometry_again(
        pages_db_url, start_live_app, browser):
    live = start_live_app(pages_db_url)
    login(browser, live.base_url, "em-pages")
    browser.get(f"{live.base_url}/events")
    wait = WebDriverWait(browser, 40)
    wait.until(lambda b: "live" in _text(b, "crowd-asof"))
    time.sleep(11)  # two refresh periods of the page's 5 s interval
    count = browser.execute_script("""
        const names = performance.getEntriesByType('resource').map(e => e.name);
        return [names.filter(n => n.includes('/api/v1/hexmap/cells/')).length,
                names.filter(n => n.includes('/_dash-update-component')).length];""")
    geometry, updates = count
    assert geometry == 1
    assert updates >= 3


def test_a_partner_is_refused_the_events_page(pages_db_url, start_live_app):
    live = start_live_app(pages_db_url)
    http = login_session(live.base_url, "dsd-pages")
    assert http.get(live.base_url + "/events", timeout=30).status_code == 403
