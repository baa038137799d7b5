"""The city map in a real headless Chromium against the real app and PostGIS."""

from __future__ import annotations

import math
import threading

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

from tests.fixtures.auth import create_user, login
from tests.fixtures.hexmap import R9, insert_map_fixture

pytestmark = pytest.mark.timeout(120)


def _drawn(browser, after: int = 0):
    seq = browser.execute_script(
        "var el = document.getElementById('map-hexmap'); return el && el.dataset.drawSeq ? +el.dataset.drawSeq : 0;"
    )
    return seq > after and seq


def test_the_home_page_draws_every_hex_and_a_click_selects_one(db_url, start_live_app, browser):
    insert_map_fixture(db_url)
    create_user(db_url, "map-commander", "commander")
    live = start_live_app(db_url)
    login(browser, live.base_url, "map-commander")
    browser.get(live.base_url + "/")
    wait = WebDriverWait(browser, 60)
    seq = wait.until(lambda b: _drawn(b))
    element = browser.find_element(By.ID, "map-hexmap")
    assert element.get_attribute("data-drawn-resolution") == "9"
    # The default window (3 h up to the latest data) holds reports from 2 of the 7 res-9 hexes.
    assert element.get_attribute("data-drawn-cells") == "2"
    # The latest bucket starts at 11:00 UTC, so the default 3 h window ends at 11:05 UTC, 19:05 HKT.
    assert browser.find_element(By.ID, "map-window").text == (
        "Sat 14 Mar 2026 16:05 \u2013 Sat 14 Mar 2026 19:05 HKT \u00b7 H3 res 9")

    browser.find_element(By.XPATH, "//*[@id='map-metric']//label[normalize-space()='Incidents']").click()
    seq = wait.until(lambda b: _drawn(b, seq))
    wait.until(lambda b: b.find_element(By.ID, "map-hexmap").get_attribute("data-drawn-cells") == "7")

    # Click the centre of the first res-9 hex (projected by the page's own renderer).
    x, y = browser.execute_script(
        "var m = window.hexops.hexmap.maps['map-hexmap'], g = m.shown, i = g.cells.indexOf(arguments[0]);"
        "var k = Math.pow(2, m.zoom) / 1024;"
        "return [m.width / 2 + (g.cx[i] - m.center[0]) * k, m.height / 2 + (g.cy[i] - m.center[1]) * k];",
        format(R9[0], "x"),
    )
    canvas = browser.find_element(By.CSS_SELECTOR, "#map-hexmap canvas")
    rect = canvas.rect
    ActionChains(browser).move_to_element_with_offset(
        canvas, int(x - rect["width"] / 2), int(y - rect["height"] / 2)).click().perform()
    wait.until(lambda b: b.find_elements(By.ID, "map-cell-id"))
    assert browser.find_element(By.ID, "map-cell-id").text == format(R9[0], "x")


def _wheel(browser, delta_y: float) -> None:
    browser.execute_script(
        "var c = document.querySelector('#map-hexmap canvas'), r = c.getBoundingClientRect();"
        "c.dispatchEvent(new WheelEvent('wheel', {deltaY: arguments[0], clientX: r.left + r.width / 2,"
        " clientY: r.top + r.height / 2, bubbles: true, cancelable: true}));",
        delta_y,
    )


def test_zooming_switches_to_finer_or_coarser_hexes_with_their_own_values(db_url, start_live_app, browser):
    insert_map_fixture(db_url)
    create_user(db_url, "zoom-commander", "commander")
    live = start_live_app(db_url)
    login(browser, live.base_url, "zoom-commander")
    browser.get(live.base_url + "/")
    wait = WebDriverWait(browser, 60)
    wait.until(lambda b: _drawn(b))
    element = browser.find_element(By.ID, "map-hexmap")
    # The fixture covers one res-8 hex, so its first view is close enough for res 10.
    _wheel(browser, -100)
    wait.until(lambda b: element.get_attribute("data-drawn-resolution") == "10")
    assert "H3 res 10" in browser.find_element(By.ID, "map-window").text
    _wheel(browser, 3000)
    wait.until(lambda b: element.get_attribute("data-drawn-resolution") == "8")
    assert element.get_attribute("data-drawn-cells") == "1"


class _TileServer:
    """A raster tile server on loopback: every tile is solid green; requests are recorded."""

    def __init__(self):
        import cv2
        import numpy as np
        from werkzeug.serving import make_server
        from werkzeug.wrappers import Response

        ok, png = cv2.imencode(".png", np.full((256, 256, 3), (0, 200, 0), dtype=np.uint8))
        assert ok
        self.paths: list[str] = []

        def app(environ, start_response):
            self.paths.append(environ["PATH_INFO"])
            return Response(png.tobytes(), mimetype="image/png")(environ, start_response)

        self._http = make_server("127.0.0.1", 0, app, threaded=True)
        self.template = f"http://127.0.0.1:{self._http.server_port}/{{z}}/{{x}}/{{y}}.png"
        threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._http.shutdown()


def test_a_configured_tile_server_is_drawn_under_the_hexes(db_url, browser, tmp_path):
    from hexops.bootstrap import AppContext, create_server
    from hexops.settings import Settings

    insert_map_fixture(db_url)
    create_user(db_url, "tile-commander", "commander")
    tiles = _TileServer()
    context = AppContext(Settings(state_dir=tmp_path, database_url=db_url, tile_url=tiles.template))
    http = make_server("127.0.0.1", 0, create_server(context), threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{http.server_port}"
    try:
        login(browser, base_url, "tile-commander")
        browser.get(base_url + "/")
        WebDriverWait(browser, 60).until(lambda b: _drawn(b))
        zoom = browser.execute_script("return window.hexops.hexmap.maps['map-hexmap'].zoom;")
        z = math.floor(zoom)
        # The XYZ tile holding the fixture's centre (Central, 22.283 N 114.158 E) at that zoom.
        lat = math.radians(22.2830)
        x = math.floor((114.1580 + 180) / 360 * 2**z)
        y = math.floor((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * 2**z)
        WebDriverWait(browser, 30).until(lambda b: f"/{z}/{x}/{y}.png" in tiles.paths)
        assert all(p.startswith(f"/{z}/") for p in tiles.paths)
        # Once drawn, a corner of the map away from the hexes shows the green tile.
        WebDriverWait(browser, 30).until(lambda b: _corner_is_green(b))
        # The tiles replace the offline land layer, and the provider is credited on the map.
        credit = browser.find_element(By.CSS_SELECTOR, "#map-hexmap .hexmap-attribution").text
        assert credit == "Map tiles: 127.0.0.1"
        assert not browser.find_element(By.ID, "map-hexmap").get_attribute("data-land-drawn")
    finally:
        http.shutdown()
        context.close()
        tiles.stop()


def _corner_is_green(browser) -> bool:
    import cv2
    import numpy as np

    canvas = browser.find_element(By.CSS_SELECTOR, "#map-hexmap canvas")
    image = cv2.imdecode(np.frombuffer(canvas.screenshot_as_png, np.uint8), cv2.IMREAD_COLOR)
    # The middle of the right edge: the corners carry the buttons, the legend, the scale and the credit.
    b, g, r = image[image.shape[0] // 2, image.shape[1] - 8].tolist()
    return g > 150 and r < 60 and b < 60
