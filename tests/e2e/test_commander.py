"""The commander's page in a real headless Chromium: risk map, backtest, hex explanation, plan, audit."""

from __future__ import annotations

import psycopg
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from hexops.geodata import risk as risk_sql
from hexops.geodata.uow import UnitOfWork
from hexops.services.risk import compute_forecast
from tests.fixtures.auth import create_user, login

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def _drawn_cells(browser) -> int:
    return int(browser.execute_script(
        "var el = document.getElementById('commander-hexmap');"
        "return el && el.dataset.drawSeq ? +(el.dataset.drawnCells || 0) : 0;"))


def _plans(url: str) -> list[tuple[int, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT plan_id, status FROM patrol_plans ORDER BY plan_id").fetchall()


def plan_id_of(browser) -> int:
    """The plan id in the page's summary line (``Plan 12: ...``), or -1."""
    found = browser.find_elements(By.ID, "commander-plan-summary")
    text = found[0].text if found else ""
    return int(text.split(":")[0].split()[-1]) if text.startswith("Plan ") else -1


def test_a_commander_sees_the_risk_map_with_its_backtest_explains_a_hex_and_plans_a_shift(
        small_city_db, start_live_app, browser):
    for horizon in ("1d", "shift"):
        compute_forecast(UnitOfWork.for_url(small_city_db), horizon=horizon, models=("kde", "hawkes"))
    with psycopg.connect(small_city_db) as conn:
        run = risk_sql.latest_run(conn, 9, "1d", None)
        top = risk_sql.forecast_rows(conn, run["run_id"]).iloc[0]
    create_user(small_city_db, "cmd", "commander")
    live = start_live_app(small_city_db)
    login(browser, live.base_url, "cmd")
    browser.get(live.base_url + "/commander")
    wait = WebDriverWait(browser, 90)

    # Plain words first: the forecast in use against counting last year's incidents.
    verdict = wait.until(lambda b: b.find_elements(By.ID, "commander-forecast-verdict"))[0]
    scores = run["backtest"]["models"]
    in_use, naive = scores[run["model"]]["hit_rate_5"], scores["naive_365"]["hit_rate_5"]
    if run["model"] == "naive_365":
        assert verdict.text.startswith("No forecasting model did better than counting last year's incidents "
                                       "over the last 28 days")
    else:
        assert verdict.text.startswith("Over the last 28 days this forecast put ")
        assert f"{in_use:.0%} of incidents in the 5% of the city it flagged" in verdict.text
        assert f"counting last year's incidents would have caught {naive:.0%}" in verdict.text
    # The technical table stays behind "Details", with a definition of each term.
    table = browser.find_element(By.ID, "commander-backtest-table")
    assert not table.is_displayed()
    browser.find_element(By.CSS_SELECTOR, "#commander-forecast-details summary").click()
    wait.until(lambda b: table.is_displayed())
    assert "kde" in table.text and "hawkes" in table.text and "(in use)" in table.text
    assert "naive_365" in table.text and "baseline" in table.text
    terms = browser.find_element(By.ID, "commander-forecast-terms").text
    assert "PAI" in terms and "PEI" in terms and "naive_365" in terms and "last 365 days" in terms
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

    # Selecting a district says how the forecast did there.
    busiest = risk_sql_busiest_district(small_city_db, run["run_id"])
    local = run["backtest"]["groups"][busiest]
    pick_district(browser, small_city_db, busiest)
    wait.until(lambda b: "of the district it flagged" in b.find_element(By.ID, "commander-forecast-verdict").text
               or "No forecasting model" in b.find_element(By.ID, "commander-forecast-verdict").text)
    text = browser.find_element(By.ID, "commander-forecast-verdict").text
    if run["model"] != "naive_365":
        assert f"{local[run['model']]['hit_rate_5']:.0%} of incidents in the 5% of the district" in text
        assert f"would have caught {local['naive_365']['hit_rate_5']:.0%}" in text

    # Opening the page wrote nothing; pressing Draft makes a draft that counts nowhere yet.
    assert _plans(small_city_db) == []
    assert browser.find_element(By.ID, "commander-plan-issue").get_attribute("disabled")
    browser.find_element(By.ID, "commander-plan-make").click()
    summary = wait.until(lambda b: b.find_elements(By.ID, "commander-plan-summary"))[0]
    assert "6 unit(s)" in summary.text and "held out" in summary.text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#commander-plan-tours li")) >= 1
    assert "DRAFT" in browser.find_element(By.ID, "commander-plan-status").text
    assert "No issued plans" in browser.find_element(By.ID, "commander-plan-effect").text
    [(first, status)] = _plans(small_city_db)
    assert status == "draft" and plan_id_of(browser) == first
    browser.find_element(By.ID, "commander-plan-make").click()  # a second draft replaces the first
    wait.until(lambda b: plan_id_of(b) not in (first, -1))
    assert _plans(small_city_db) == [(plan_id_of(browser), "draft")]
    issue = browser.find_element(By.ID, "commander-plan-issue")
    assert not issue.get_attribute("disabled")
    issue.click()
    wait.until(lambda b: "ISSUED by cmd" in b.find_element(By.ID, "commander-plan-status").text)
    assert "held-out hexes" in browser.find_element(By.ID, "commander-plan-effect").text
    assert [status for _, status in _plans(small_city_db)] == ["issued"]
    assert browser.find_element(By.ID, "commander-plan-issue").get_attribute("disabled")

    browser.find_element(By.LINK_TEXT, "Printable").get_attribute("href")
    browser.get(browser.find_element(By.LINK_TEXT, "Printable").get_attribute("href"))
    assert "Unit 1" in browser.page_source and "12-16 minutes" in browser.page_source


def risk_sql_busiest_district(url: str, run_id: int) -> str:
    with psycopg.connect(url) as conn:
        return risk_sql.forecast_rows(conn, run_id).groupby("district")["expected"].sum().idxmax()


def pick_district(browser, url: str, code: str) -> None:
    """Choose ``code`` in the page's district dropdown by its full label (type it, then Enter)."""
    with psycopg.connect(url) as conn:
        name = dict(risk_sql.districts(conn))[code]
    box = browser.find_element(By.CSS_SELECTOR, "#commander-district input")
    box.send_keys(f"{code} {name}")
    box.send_keys(Keys.ENTER)


def test_the_commander_page_is_refused_to_an_event_manager(small_city_db, start_live_app, browser):
    create_user(small_city_db, "events", "event_manager")
    live = start_live_app(small_city_db)
    login(browser, live.base_url, "events")
    browser.get(live.base_url + "/commander")
    WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.TAG_NAME, "body"))
    assert "forbidden" in browser.page_source
    assert not browser.find_elements(By.ID, "commander-backtest")
