"""A partner signs in and out through the browser; the shell names the user."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.fixtures.auth import create_user, grant_layers, login

pytestmark = pytest.mark.e2e


def test_a_partner_signs_in_sees_its_name_and_signs_out_again(db_url, start_live_app, browser):
    create_user(db_url, "drainage-partner", "partner", department="DSD")
    grant_layers(db_url, "DSD", ["flood_alerts", "flood_states", "rainfall", "water_states"])
    live = start_live_app(db_url)
    login(browser, live.base_url, "drainage-partner")
    wait = WebDriverWait(browser, 30)
    wait.until(ec.text_to_be_present_in_element((By.ID, "shell-user"), "drainage-partner (partner)"))
    nav = browser.find_element(By.CLASS_NAME, "shell-nav").text
    assert "Admin" not in nav
    browser.find_element(By.ID, "shell-auth").click()
    wait.until(ec.presence_of_element_located((By.ID, "login-username")))
    browser.get(live.base_url + "/api/v1/whoami")
    assert "not signed in" in browser.page_source


def test_a_wrong_password_shows_the_reason_on_the_login_page(db_url, start_live_app, browser):
    create_user(db_url, "cmd", "commander")
    live = start_live_app(db_url)
    with pytest.raises(AssertionError, match="refused"):
        login(browser, live.base_url, "cmd", "not-the-password")
    error = WebDriverWait(browser, 30).until(ec.presence_of_element_located((By.ID, "login-error")))
    assert "wrong user name or password" in error.text
