"""The one clock and alert handling in a real Chromium: header clock, date-time picker, acknowledgements."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlparse

import psycopg
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from hexops.geodata.uow import UnitOfWork
from hexops.services import clock
from tests.fixtures.auth import create_user, login

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SHOW_TIME = "2026-10-01T13:00:00Z"   # 21:00 HKT, the fireworks begin
STORM_TIME = "2026-10-02T08:15:00Z"  # 16:15 HKT, the low-lying roads flooded


def _text(browser, element_id: str) -> str:
    found = browser.find_elements(By.ID, element_id)
    return found[0].text if found else ""


def _shown_ms(browser) -> int:
    return int(browser.find_element(By.ID, "shell-clock").get_attribute("data-shown-ms") or 0)


def test_the_header_shows_the_replays_clock_on_every_page_ticking_at_its_speed_and_follows_a_new_replay(
        small_city_db, start_live_app, browser):
    start = datetime(2026, 10, 1, 12, 0, tzinfo=timezone.utc)  # 20:00 HKT
    clock.set_scenario(UnitOfWork.for_url(small_city_db), start, speed=10, actor="test")
    create_user(small_city_db, "em-clock", "event_manager")
    live = start_live_app(small_city_db)
    login(browser, live.base_url, "em-clock")
    wait = WebDriverWait(browser, 40)
    for path in ("/events", "/"):
        browser.get(live.base_url + path)
        wait.until(lambda b: _shown_ms(b) > 0)
        assert _text(browser, "shell-clock-label") == "demo replay x10"
        assert "Thu 01 Oct 2026 20:" in _text(browser, "shell-clock-time") and "HKT" in _text(browser, "shell-clock")
    first = _shown_ms(browser)
    time.sleep(3)
    advanced = (_shown_ms(browser) - first) / 1000
    assert 20 <= advanced <= 45, advanced  # about 3 wall seconds at ten times real time

    # A new replay, held at the storm: the open page's header follows within its poll (15 s).
    storm = datetime(2026, 10, 2, 8, 0, tzinfo=timezone.utc)
    clock.set_scenario(UnitOfWork.for_url(small_city_db), storm, stop_at=storm, actor="test")
    WebDriverWait(browser, 25).until(lambda b: "Fri 02 Oct 2026 16:00:00" in _text(b, "shell-clock-time"))
    assert _text(browser, "shell-clock-label") == "demo replay (held)"


def _pick(browser, prefix: str, date: str, hhmm: str) -> None:
    date_input = browser.find_element(By.CSS_SELECTOR, f"#{prefix}-at-date input")
    date_input.send_keys(Keys.CONTROL, "a")
    date_input.send_keys(date, Keys.TAB)
    time_input = browser.find_element(By.ID, f"{prefix}-at-time")
    time_input.send_keys(Keys.CONTROL, "a")
    time_input.send_keys(hhmm)
    browser.find_element(By.ID, f"{prefix}-at-go").click()


def _at_in_url(browser) -> str | None:
    return (parse_qs(urlparse(browser.current_url).query).get("at") or [None])[0]


def test_the_picker_jumps_to_any_moment_keeps_it_in_the_url_steps_and_returns_to_live(
        pages_db_url, start_live_app, browser):
    live = start_live_app(pages_db_url)
    login(browser, live.base_url, "em-pages")
    browser.get(live.base_url + "/events")
    wait = WebDriverWait(browser, 40)
    wait.until(lambda b: "(live;" in _text(b, "crowd-asof"))

    _pick(browser, "crowd", "2026-10-01", "20:30")  # a day before the clock's now: beyond any 6-hour slider
    wait.until(lambda b: "01 Oct 20:30 HKT (replay link" in _text(b, "crowd-asof"))
    at = _at_in_url(browser)
    assert at is not None and datetime.fromisoformat(at) == datetime(2026, 10, 1, 12, 30, tzinfo=timezone.utc)
    browser.find_element(By.ID, "crowd-at-back").click()
    wait.until(lambda b: "01 Oct 20:25 HKT" in _text(b, "crowd-asof"))
    assert datetime.fromisoformat(_at_in_url(browser)) == datetime(2026, 10, 1, 12, 25, tzinfo=timezone.utc)

    # The link opens the page at the same moment.
    browser.get(browser.current_url)
    wait.until(lambda b: "01 Oct 20:25 HKT (replay link" in _text(b, "crowd-asof"))
    assert browser.find_element(By.ID, "crowd-at-time").get_attribute("value") == "20:25"

    # A time after the clock's now (held at 19:30 on 2 Oct) is refused, naming the field; the date
    # picker itself offers no day after the clock's.
    _pick(browser, "crowd", "2026-10-02", "23:00")
    wait.until(lambda b: "time:" in _text(b, "crowd-at-message"))
    browser.find_element(By.ID, "crowd-at-live").click()
    wait.until(lambda b: "(live;" in _text(b, "crowd-asof"))
    assert _at_in_url(browser) is None


def _open_alerts(browser, prefix: str):
    return browser.find_elements(By.CSS_SELECTOR, f"#{prefix}-alerts .alert-item.alert-open")


def test_crowd_alerts_come_grouped_by_place_and_two_are_acknowledged_together_with_a_note_at_once(
        pages_db_url, start_live_app, browser):
    live = start_live_app(pages_db_url)
    login(browser, live.base_url, "em-pages")
    browser.get(f"{live.base_url}/events?at={SHOW_TIME}")
    wait = WebDriverWait(browser, 40)
    wait.until(lambda b: len(_open_alerts(b, "crowd")) >= 2)
    titles = [g.find_element(By.TAG_NAME, "h3").text for g in
              browser.find_elements(By.CSS_SELECTOR, "#crowd-alerts .alert-group")]
    assert any("Tsim Sha Tsui" in t and "event zone" in t for t in titles), titles
    assert any(t.startswith("Yau Tsim Mong") for t in titles), titles  # the crowd hexes' district
    first_place = _open_alerts(browser, "crowd")[0].find_element(By.CLASS_NAME, "alert-place").text
    assert "nearest camera" in first_place and " N, " in first_place

    picked = []
    for item in _open_alerts(browser, "crowd")[:2]:
        picked.append(int(item.get_attribute("id").rsplit("-", 1)[1]))
        item.find_element(By.CSS_SELECTOR, ".ack-select input[type=checkbox]").click()
    browser.find_element(By.ID, "crowd-ack-note").send_keys("stewards sent to the promenade")
    clicked = time.monotonic()
    browser.find_element(By.ID, "crowd-ack-selected").click()
    wait.until(lambda b: all("acknowledged by em-pages" in _text(b, f"crowd-alert-{i}") for i in picked))
    assert time.monotonic() - clicked < 5.0  # shown at once, not at the next 5-second refresh
    assert "stewards sent to the promenade" in _text(browser, f"crowd-alert-{picked[0]}")
    assert "Acknowledged 2 alert(s)" in _text(browser, "crowd-ack-status")
    with psycopg.connect(pages_db_url) as conn:
        rows = conn.execute("SELECT acknowledged_by, acknowledged_note FROM crowd_alerts WHERE alert_id = ANY(%s)",
                            (picked,)).fetchall()
    assert rows == [("em-pages", "stewards sent to the promenade")] * 2

    # "Show on map" centres the map on the alert's place.
    item = browser.find_elements(By.CSS_SELECTOR, "#crowd-alerts .alert-item")[0]
    item.find_element(By.CLASS_NAME, "show-button").click()
    wait.until(lambda b: b.find_element(By.ID, "crowd-hexmap").get_attribute("data-focused"))


def test_a_drainage_partner_acknowledges_a_flood_alert_on_the_drainage_page(pages_db_url, start_live_app, browser):
    live = start_live_app(pages_db_url)
    login(browser, live.base_url, "dsd-pages")
    browser.get(f"{live.base_url}/drainage?at={STORM_TIME}")
    wait = WebDriverWait(browser, 40)
    wait.until(lambda b: _open_alerts(b, "drainage"))
    item = _open_alerts(browser, "drainage")[0]
    transition = int(item.get_attribute("id").rsplit("-", 1)[1])
    # The partner holds flood_alerts but not camera_positions: the alert is named by its district
    # and place, with no camera, position or camera count (issue 10).
    text = item.text
    assert "nearest camera" not in text and " N, " not in text and "camera" not in text
    assert "rain" in item.find_element(By.CLASS_NAME, "alert-meta").text
    browser.find_element(By.ID, "drainage-ack-note").send_keys("crew DSD-HKE-C1 on the way")
    item.find_element(By.CLASS_NAME, "ack-button").click()
    wait.until(lambda b: "acknowledged by dsd-pages" in _text(b, f"drainage-alert-{transition}"))
    with psycopg.connect(pages_db_url) as conn:
        ack = conn.execute("SELECT acknowledged_by, note FROM flood_alert_acks WHERE transition_id = %s",
                           (transition,)).fetchone()
        audited = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'flood_alert.acknowledge' "
                               "AND target = %s", (str(transition),)).fetchone()[0]
    assert ack == ("dsd-pages", "crew DSD-HKE-C1 on the way") and audited == 1
