"""The commander's page in a real headless Chromium: risk map, backtest, hex explanation, plan, audit."""

from __future__ import annotations

import psycopg
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from hexops.geodata import risk as risk_sql
from hexops.services.risk import compute_forecast
from tests.fixtures.auth import create_user, login

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def _drawn_cells(browser) -> int:
    return int(browser.execute_script(
        "var el = document.getElementById('commander-hexmap');"
        "return el && el.dataset.drawSeq ? +(el.dataset.drawnCells || 0) : 0;"))


def test_a_commander_sees_the_risk_map_with_its_backtest_explains_a_hex_and_plans_a_shift(
        small_city_db, start_live_app, browser):
    with psycopg.connect(small_city_db) as conn:
        for horizon in ("1d", "shift"):
            compute_forecast(conn, horizon=horizon, models=("kde", "hawkes"))
        run = risk_sql.latest_run(conn, 9, "1d", None)
        top = risk_sql.forecast_rows(conn, run["run_id"]).iloc[0]
        conn.commit()
    create_user(small_city_db, "cmd", "commander")
    live = start_live_app(small_city_db)
    login(browser, live.base_url, "cmd")
    browser.get(live.base_url + "/commander")
    wait = WebDriverWait(browser, 90)

    table = wait.until(lambda b: b.find_elements(By.ID, "commander-backtest-table"))[0]
    assert "kde" in table.text and "hawkes" in table.text and "(in use)" in table.text
    assert f"Forecast {run['run_id']}" in browser.find_element(By.ID, "commander-run").text
    wait.until(lambda b: _drawn_cells(b) > 100)

    # Click the riskiest hex's centre, projected by the page's own renderer.
    x, y = browser.execute_script(
        "var m = window.hexops.hexmap.maps['commander-hexmap'], g = m.shown, i = g.cells.indexOf(arguments[0]);"
        "var k = Math.pow(2, m.zoom) / 1024;"
        "return [m.width / 2 + (g.cx[i] - m.center[0]) * k, m.height / 2 + (g.cy[i] - m.center[1]) * k];",
        format(int(top["h3"]), "x"),
    )
    canvas = browser.find_element(By.CSS_SELECTOR, "#commander-hexmap canvas")
    rect = canvas.rect
    ActionChains(browser).move_to_element_with_offset(
        canvas, int(x - rect["width"] / 2), int(y - rect["height"] / 2)).click().perform()
    wait.until(lambda b: b.find_elements(By.ID, "commander-hex-rank"))
    assert browser.find_element(By.ID, "commander-hex-id").text == format(int(top["h3"]), "x")
    assert browser.find_element(By.ID, "commander-hex-rank").text.startswith("1 of ")
    assert float(browser.find_element(By.ID, "commander-hex-expected").text) == pytest.approx(top["expected"], abs=1e-3)
    assert browser.find_elements(By.CSS_SELECTOR, "#commander-hex-parts li")

    audit = browser.find_element(By.ID, "commander-audit-table")
    assert len(audit.find_elements(By.CSS_SELECTOR, "tbody tr")) >= 2

    browser.find_element(By.ID, "commander-plan-make").click()
    summary = wait.until(lambda b: b.find_elements(By.ID, "commander-plan-summary"))[0]
    assert "6 unit(s)" in summary.text and "held out" in summary.text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#commander-plan-tours li")) >= 1
    assert "held-out hexes" in browser.find_element(By.ID, "commander-plan-effect").text

    browser.find_element(By.LINK_TEXT, "Printable").get_attribute("href")
    browser.get(browser.find_element(By.LINK_TEXT, "Printable").get_attribute("href"))
    assert "Unit 1" in browser.page_source and "12-16 minutes" in browser.page_source


def test_the_commander_page_is_refused_to_an_event_manager(small_city_db, start_live_app, browser):
    create_user(small_city_db, "events", "event_manager")
    live = start_live_app(small_city_db)
    login(browser, live.base_url, "events")
    browser.get(live.base_url + "/commander")
    WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.TAG_NAME, "body"))
    assert "forbidden" in browser.page_source
    assert not browser.find_elements(By.ID, "commander-backtest")
