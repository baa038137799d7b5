"""Take the README's screenshots of a running demo in headless Chromium.

Usage (with ``make demo`` serving on 127.0.0.1:8050 in another terminal)::

    .venv/bin/python scripts/screenshots.py [--base-url http://127.0.0.1:8050] [--out docs/img]

Signs in as each demo user from ``.hexops/demo-credentials.json`` through the
login page, opens its page, waits until the hex map says it has drawn, and
saves a PNG.  Look at the pictures before committing them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures.browser import make_driver  # noqa: E402  (after the path is set)

#: (user, page, file): the city map, the fireworks peak on the Events page, the black rain on
#: the Drainage page, the commander's and the admin's own pages, and the Drainage partner's
#: page in Traditional Chinese.
SHOTS = (
    ("commander", "/", "city-map.png"),
    ("event-manager", "/events?at=2026-10-01T21:00%2B08:00", "events.png"),
    ("commander", "/drainage?at=2026-10-02T16:15%2B08:00", "drainage.png"),
    ("commander", "/commander", "commander.png"),
    ("admin", "/admin", "admin.png"),
    ("drainage-partner", "/drainage?lang=zh-Hant&at=2026-10-02T16:15%2B08:00", "drainage-zh-hant.png"),
)


def sign_in(driver, base_url: str, username: str, password: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base_url + "/login")
    wait = WebDriverWait(driver, 30)
    wait.until(lambda d: d.find_elements(By.ID, "login-username"))
    driver.find_element(By.ID, "login-username").send_keys(username)
    driver.find_element(By.ID, "login-password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    wait.until(lambda d: "/login" not in d.current_url)


def wait_for_map(driver, timeout_s: float = 60.0) -> None:
    """Until every hex map on the page has painted a frame (or there is none)."""
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        maps = driver.find_elements(By.CSS_SELECTOR, ".hexmap")
        if all(m.get_attribute("data-drawn-at") for m in maps):
            return
        time.sleep(0.5)
    raise TimeoutError("the hex map did not draw")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8050")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--credentials", type=Path, default=ROOT / ".hexops" / "demo-credentials.json")
    parser.add_argument("--only", nargs="*", help="Take only these files (e.g. admin.png).")
    args = parser.parse_args()
    if not args.credentials.exists():
        sys.exit(f"{args.credentials} not found: run `make demo` first")
    credentials = json.loads(args.credentials.read_text())
    args.out.mkdir(parents=True, exist_ok=True)
    only = set(args.only or [])
    for user, page, filename in SHOTS:
        if only and filename not in only:
            continue
        driver = make_driver()
        try:
            sign_in(driver, args.base_url, user, credentials[user]["password"])
            driver.get(args.base_url + page)
            wait_for_map(driver)
            time.sleep(3)  # panels filled by later callbacks
            driver.save_screenshot(str(args.out / filename))
            print(f"{filename}: {user} at {page}")
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
