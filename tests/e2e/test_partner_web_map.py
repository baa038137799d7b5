"""A partner's own web map on another origin renders its granted tiles and is refused the others (issue 15).

The page (``tests/e2e/partner_map``: MapLibre GL from npm, installed by
``scripts/ensure_web_test_deps.sh``) is served by a plain HTTP server on
``localhost`` at another port -- another origin than hexops on 127.0.0.1 --
and told hexops's address and the partner's token in its URL fragment. It
discovers each layer through its TileJSON, sends the token as a header,
and draws in headless Chromium (WebGL on SwiftShader).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from h3.api.basic_int import cell_to_latlng

from tests.fixtures.browser import CHROMIUM_FLAGS
from tests.fixtures.sharing import allow_origin

pytestmark = pytest.mark.e2e
PAGE_DIR = Path(__file__).parent / "partner_map"
PARTNER = "drainage-partner"


class _PageHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript",
                      ".js": "text/javascript", ".css": "text/css"}

    def log_message(self, *_args):
        pass


@pytest.fixture(scope="module")
def page_server():
    """The partner's page on http://localhost:<port> (another origin than the app)."""
    if not (PAGE_DIR / "node_modules" / "maplibre-gl" / "dist" / "maplibre-gl.mjs").exists():
        pytest.fail("maplibre-gl is not installed: run scripts/ensure_web_test_deps.sh (make test does)")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_PageHandler,
                                                                                 directory=str(PAGE_DIR)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_port}"
    server.shutdown()


@pytest.fixture
def webgl_browser():
    """Headless Chromium with WebGL drawn in software (the shared fixture's flags, plus SwiftShader)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (*CHROMIUM_FLAGS, "--enable-unsafe-swiftshader", "--use-angle=swiftshader", "--window-size=800,600"):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='hexops-chromium-')}")
    driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver"),
                              options=options)
    yield driver
    driver.quit()


def _open_map(driver, page: str, world, granted: str, refused: str) -> dict:
    lat, lon = cell_to_latlng(world.small)
    fragment = urlencode({"api": world.base_url, "token": world.tokens[PARTNER], "granted": granted,
                          "refused": refused, "lat": lat, "lon": lon})
    driver.get(f"{page}/index.html#{fragment}")
    deadline = time.monotonic() + 45
    state = None
    while time.monotonic() < deadline:
        state = driver.execute_script("return window.hexopsTest && JSON.parse(JSON.stringify(window.hexopsTest))")
        if state and state["idle"] and (state["rendered"]["granted"] or len(state["errors"]) >= 2):
            break
        time.sleep(0.25)
    return state


def _blue_pixels(driver) -> int:
    from io import BytesIO

    import numpy as np
    from PIL import Image

    driver.save_screenshot(str(Path(tempfile.gettempdir()) / "hexops-partner-map.png"))
    pixels = np.asarray(Image.open(BytesIO(driver.get_screenshot_as_png())).convert("RGB")).astype(int)
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    # The granted layer's fill, #0050ff.
    return int(((r < 40) & (g > 60) & (g < 110) & (b > 220)).sum())


def test_a_partner_page_on_a_listed_origin_draws_its_granted_tiles_and_is_refused_the_others(
        sharing_world, page_server, webgl_browser):
    allow_origin(sharing_world.db_url, "DSD", page_server)
    state = _open_map(webgl_browser, page_server, sharing_world, "water_states", "crowd_density")
    assert state is not None and state["idle"], state
    assert state["rendered"]["granted"] > 0 and state["rendered"]["refused"] == 0, state
    assert any("403" in error and "crowd_density" in error for error in state["errors"]), state["errors"]
    assert _blue_pixels(webgl_browser) > 1000


def test_the_same_page_on_an_origin_not_on_the_list_is_refused_everything(sharing_world, webgl_browser):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_PageHandler,
                                                                                 directory=str(PAGE_DIR)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        state = _open_map(webgl_browser, f"http://localhost:{server.server_port}", sharing_world,
                          "water_states", "rainfall")
    finally:
        server.shutdown()
    assert state is not None and state["rendered"] in (None, {"granted": 0, "refused": 0}), state
    assert len(state["errors"]) >= 2 and _blue_pixels(webgl_browser) == 0
