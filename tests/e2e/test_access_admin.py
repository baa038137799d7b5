"""The login page and the admin page in a real headless Chromium."""

from __future__ import annotations

import csv
import io

import psycopg
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.fixtures.auth import create_user, login, login_session

pytestmark = pytest.mark.e2e


def test_a_guest_is_sent_to_login_and_returned_to_the_admin_page_after_signing_in(db_url, start_live_app,
                                                                                     browser):
    create_user(db_url, "adm", "admin")
    live = start_live_app(db_url)
    browser.get(live.base_url + "/admin")
    wait = WebDriverWait(browser, 30)
    wait.until(ec.presence_of_element_located((By.ID, "login-username"))).send_keys("adm")
    browser.find_element(By.ID, "login-password").send_keys("correct-horse-battery-staple")
    browser.find_element(By.ID, "login-submit").click()
    wait.until(ec.presence_of_element_located((By.ID, "admin-users-table")))
    assert browser.current_url.endswith("/admin")
    assert "adm (admin)" in browser.find_element(By.ID, "shell-user").text


def test_an_admin_grants_a_layer_with_an_expiry_and_the_change_is_audited(db_url, start_live_app, browser):
    create_user(db_url, "adm", "admin")
    live = start_live_app(db_url)
    login(browser, live.base_url, "adm", next_path="/admin")
    wait = WebDriverWait(browser, 30)
    wait.until(ec.presence_of_element_located((By.ID, "admin-grants-table")))
    for dropdown, value in (("admin-grant-department", "DSD"), ("admin-grant-layer", "rainfall")):
        # Dash loads dropdowns asynchronously: wait for the input, not just the page.
        field = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, f"#{dropdown} input")))
        field.send_keys(value)
        field.send_keys("\n")
    browser.find_element(By.ID, "admin-grant-reason").send_keys("MoU 2026-17")
    browser.find_element(By.ID, "admin-grant-add").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "admin-grant-message"), "Granted rainfall to DSD"))
    assert "rainfall" in browser.find_element(By.ID, "admin-grants-table").text
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT actor, target, reason FROM audit_log WHERE action = 'grant.change'").fetchone()
        live_grant = conn.execute("SELECT expires_at > now() + interval '80 days' FROM layer_grants").fetchone()
    assert row == ("adm", "DSD/rainfall", "MoU 2026-17") and live_grant == (True,)


def test_the_audit_filter_and_csv_export_show_only_matching_entries(db_url, start_live_app, browser):
    create_user(db_url, "adm", "admin")
    create_user(db_url, "cmd", "commander")
    live = start_live_app(db_url)
    login_session(live.base_url, "cmd")
    login(browser, live.base_url, "adm", next_path="/admin")
    wait = WebDriverWait(browser, 30)
    wait.until(ec.presence_of_element_located((By.ID, "admin-audit-actor"))).send_keys("cmd")
    browser.find_element(By.ID, "admin-audit-action").send_keys("login")
    browser.find_element(By.ID, "admin-audit-filter").click()
    wait.until(lambda b: "actor=cmd" in b.find_element(By.ID, "admin-audit-export").get_attribute("href"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#admin-audit-rows tbody tr")
    href = browser.find_element(By.ID, "admin-audit-export").get_attribute("href")
    exported = list(csv.DictReader(io.StringIO(login_session(live.base_url, "adm").get(href, timeout=30).text)))
    assert len(rows) == 1 and "login.success" in rows[0].text
    assert [(r["actor"], r["action"]) for r in exported] == [("cmd", "login.success")]


def test_a_commander_is_refused_the_admin_page_and_its_csv(db_url, start_live_app):
    create_user(db_url, "cmd", "commander")
    live = start_live_app(db_url)
    http = login_session(live.base_url, "cmd")
    assert http.get(live.base_url + "/admin", timeout=30).status_code == 403
    assert http.get(live.base_url + "/api/v1/audit.csv", timeout=30).status_code == 403
