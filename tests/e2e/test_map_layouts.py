"""The maps as each role uses them on a phone (390x844), a laptop (1440x900) and a wall (1920x1080).

One browser for the whole module; each role is signed in once and walked through the three
viewports.  Checked in the real Chromium: the basemap's land is drawn under the hexes, place
labels appear, the Events map draws its zones, the map fills at least 90 % of a phone's width
with the panel below it, and the navigation and Sign out stay on screen.  The keyboard moves
between hexes and Enter opens one, as a click does.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.fixtures.auth import create_user, login
from tests.fixtures.browser import csp_violations, make_driver
from tests.fixtures.crowdflood_pages import save_screenshot
from tests.fixtures.live_app import LiveApp

SHOW = "2026-10-01T13:00:00Z"    # 21:00 HKT, the fireworks
STORM = "2026-10-02T08:15:00Z"   # 16:15 HKT, black rain, roads flooded
VIEWPORTS = {"phone": (390, 844), "laptop": (1440, 900), "wall": (1920, 1080)}
#: role -> (user, page, map container id)
ROLES = {
    "commander": ("cmd-maps", "/", "map-hexmap"),
    "event_manager": ("em-pages", f"/events?at={SHOW}", "crowd-hexmap"),
    "drainage": ("dsd-pages", f"/drainage?at={STORM}", "drainage-hexmap"),
}


@pytest.fixture(scope="module")
def walk(pages_db_url):
    """One app and one browser for every walk; remembers who is signed in."""
    create_user(pages_db_url, "cmd-maps", "commander")
    live = LiveApp(pages_db_url, Path(tempfile.mkdtemp(prefix="hexops-state-")))
    driver = make_driver()
    state = {"live": live, "driver": driver, "user": None}
    try:
        yield state
        violations = csp_violations(driver)
    finally:
        driver.quit()
        live.stop()
    assert not violations, "the pages broke the Content Security Policy:\n" + "\n".join(violations)


def _viewport(driver, width: int, height: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 700})


def _rect(driver, css: str) -> dict:
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); if (!e) return null;"
        "const r = e.getBoundingClientRect(); return {x: r.left, y: r.top, w: r.width, h: r.height, right: r.right};",
        css)


def _data(driver, map_id: str, name: str) -> str:
    return driver.find_element(By.ID, map_id).get_attribute(f"data-{name}") or ""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("role", list(ROLES))
def test_the_map_shows_coast_places_and_zones_and_fits_the_screen(walk, role, viewport):
    driver, live = walk["driver"], walk["live"]
    user, page, map_id = ROLES[role]
    width, height = VIEWPORTS[viewport]
    _viewport(driver, width, height)
    if walk["user"] != user:
        driver.delete_all_cookies()
        login(driver, live.base_url, user)
        walk["user"] = user
    driver.get(live.base_url + page)
    wait = WebDriverWait(driver, 60)
    wait.until(lambda d: d.find_elements(By.ID, map_id) and int(_data(d, map_id, "drawn-cells") or 0) > 0)
    # The offline basemap: the real coastline's land polygons drawn under the hexes.
    wait.until(lambda d: int(_data(d, map_id, "land-drawn") or 0) > 50)
    assert _data(driver, map_id, "scale").endswith(("m", "km"))
    if role == "event_manager":
        wait.until(lambda d: int(_data(d, map_id, "zones-drawn") or 0) >= 7)
    if role == "drainage":
        wait.until(lambda d: int(_data(d, map_id, "critical-cells") or 0) > 0)   # flooded hexes outlined

    inner = driver.execute_script("return window.innerWidth")
    wider = driver.execute_script(
        "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > arguments[0] + 1"
        " && !e.closest('.shell-nav, table, .hexmap-tooltip')).slice(0, 5)"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))",
        width)
    assert inner == width and not wider, f"wider than the {width} px screen: {wider}"
    hexmap, side = _rect(driver, f"#{map_id}"), _rect(driver, ".map-side")
    auth, nav = _rect(driver, "#shell-auth"), _rect(driver, ".shell-nav")
    assert auth and auth["x"] >= 0 and auth["right"] <= width and auth["h"] > 0, "Sign out must be on screen"
    assert nav["x"] >= 0 and nav["right"] <= width + 1
    if viewport == "phone":
        assert hexmap["w"] >= 0.9 * width, f"the map is {hexmap['w']:.0f} px wide on a {width} px phone"
        assert hexmap["y"] < side["y"], "on a phone the map comes first, the panel below"
        assert hexmap["h"] >= 300
    else:
        assert side["x"] >= hexmap["right"] - 1 and side["right"] <= width, "the side panel sits beside the map"
        assert side["w"] >= (500 if viewport == "wall" else 300)
    save_screenshot(driver, f"map-{role}-{viewport}")
    if role == "commander" and viewport == "wall" and os.environ.get("HEXOPS_SCREENSHOT_DIR"):
        # The README's street-level picture: the harbour front with its place names.
        driver.execute_script(f"window.hexops.hexmap.maps['{map_id}'].focus({{lat: 22.2985, lon: 114.1745}})")
        wait.until(lambda d: _data(d, map_id, "resolution") == "10")
        driver.execute_script("return new Promise(r => setTimeout(r, 3000))")
        save_screenshot(driver, "map-commander-zoomed")


def test_the_keyboard_moves_between_hexes_and_enter_opens_one(walk):
    driver, live = walk["driver"], walk["live"]
    _viewport(driver, 1440, 900)
    user, page, map_id = ROLES["event_manager"]
    if walk["user"] != user:
        driver.delete_all_cookies()
        login(driver, live.base_url, user)
        walk["user"] = user
    driver.get(live.base_url + page)
    wait = WebDriverWait(driver, 60)
    wait.until(lambda d: int(_data(d, map_id, "drawn-cells") or 0) > 0)
    canvas = driver.find_element(By.CSS_SELECTOR, f"#{map_id} canvas")
    canvas.send_keys("n")
    first = _data(driver, map_id, "focus-cell")
    assert first, "N focuses the hex with the highest value"
    live_text = driver.find_element(By.CSS_SELECTOR, f"#{map_id} .hexmap-live").get_attribute("textContent")
    assert first in live_text and "near " in live_text, live_text
    canvas.send_keys(Keys.ARROW_RIGHT)
    assert _data(driver, map_id, "focus-cell") not in ("", None)
    canvas.send_keys(Keys.ENTER)
    wait.until(lambda d: _data(d, map_id, "selected") == _data(d, map_id, "focus-cell"))
    before = driver.execute_script(f"return window.hexops.hexmap.maps['{map_id}'].zoom")
    driver.find_element(By.CSS_SELECTOR, f"#{map_id} .hexmap-zoom-in").click()
    assert driver.execute_script(f"return window.hexops.hexmap.maps['{map_id}'].zoom") == pytest.approx(before + 1)
    driver.find_element(By.CSS_SELECTOR, f"#{map_id} .hexmap-reset").click()
    assert driver.execute_script(f"return window.hexops.hexmap.maps['{map_id}'].zoom") < before + 1
