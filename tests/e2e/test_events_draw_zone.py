"""Drawing an event zone on the Events page in a real Chromium: click a triangle, name it, save, see it listed."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import create_database_from_template, drop_database
from tests.fixtures.auth import login
from tests.fixtures.crowdflood_pages import save_screenshot


@pytest.fixture
def drawing_db_url(pg_cluster, pages_db_url):
    """A copy of the pages' scenario database: a saved zone must not leak into the other page tests."""
    url = create_database_from_template(pg_cluster, pages_db_url, prefix="draw")
    yield url
    drop_database(pg_cluster, url)


def _text(browser, element_id):
    found = browser.find_elements(By.ID, element_id)
    return found[0].text if found else ""


def _map(browser):
    return browser.find_element(By.ID, "crowd-hexmap")


def _click_at(browser, canvas, dx, dy):
    """Click the canvas ``dx``, ``dy`` CSS pixels from its centre (a real pointer click)."""
    ActionChains(browser).move_to_element_with_offset(canvas, dx, dy).click().perform()


def test_an_event_manager_draws_a_triangle_names_it_and_sees_it_in_the_zone_panel(
        drawing_db_url, start_live_app, browser):
    live = start_live_app(drawing_db_url)
    login(browser, live.base_url, "em-pages")
    browser.get(f"{live.base_url}/events?at=2026-10-01T13:00:00Z")
    wait = WebDriverWait(browser, 40)
    wait.until(lambda b: "Tsim Sha Tsui" in _text(b, "crowd-zones"))
    wait.until(lambda b: int(_map(b).get_attribute("data-drawn-cells") or 0) > 0)
    canvas = _map(browser).find_element(By.TAG_NAME, "canvas")

    # Saving before anything is drawn names the missing polygon.
    browser.find_element(By.ID, "crowd-draw-save").click()
    wait.until(lambda b: "Draw the zone on the map first" in _text(b, "crowd-draw-polygon-error"))

    browser.find_element(By.ID, "crowd-draw-toggle").click()
    wait.until(lambda b: _map(b).get_attribute("data-drawing") == "1")
    for i, (dx, dy) in enumerate([(-60, 40), (60, 40), (0, -60)], start=1):
        _click_at(browser, canvas, dx, dy)
        wait.until(lambda b, i=i: _map(b).get_attribute("data-draw-vertices") == str(i))
    assert _map(browser).get_attribute("data-selected") in (None, "")  # drawing clicks select no hex
    _click_at(browser, canvas, -60, 40)  # the first vertex again closes the ring
    wait.until(lambda b: _map(b).get_attribute("data-draw-closed") == "1")
    save_screenshot(browser, "events-draw")

    # A bad capacity is refused beside the field, saying what is allowed; the drawing is kept for a second try.
    browser.find_element(By.ID, "crowd-draw-name").send_keys("Harbour steps")
    browser.find_element(By.ID, "crowd-draw-capacity").send_keys("0")
    browser.find_element(By.ID, "crowd-draw-save").click()
    wait.until(lambda b: "at least 1" in _text(b, "crowd-draw-capacity-error"))
    capacity = browser.find_element(By.ID, "crowd-draw-capacity")
    capacity.clear()
    capacity.send_keys("2500")
    browser.find_element(By.ID, "crowd-draw-save").click()
    wait.until(lambda b: "Saved zone Harbour steps" in _text(b, "crowd-draw-status"))
    wait.until(lambda b: "Harbour steps" in _text(b, "crowd-zones"))
    assert _map(browser).get_attribute("data-drawing") == "0"  # the draw mode ends with the save

    # With draw mode off, a click selects a hex again rather than adding a vertex.
    ActionChains(browser).move_to_element_with_offset(canvas, 0, 0).click().perform()
    assert _map(browser).get_attribute("data-draw-vertices") == "0"
