"""/admin/vault in a real headless Chromium against the running app."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from hexops.services import vault as svc
from hexops.vault.keys import load_signing_key
from tests.fixtures.auth import create_user, login, login_session

pytestmark = pytest.mark.e2e


def test_an_admin_sees_retention_status_holds_the_verified_receipt_and_the_model_registry(
        vault_db, start_live_app, browser, tmp_path):
    create_user(vault_db, "vault-admin", "admin")
    create_user(vault_db, "cmd", "commander")
    live = start_live_app(vault_db)
    clip = tmp_path / "c.avi"
    clip.write_bytes(os.urandom(3000))
    now = datetime.now(timezone.utc)
    ctx = live.context
    vault = svc.open_vault(ctx.settings)
    clip_id = svc.put_clip(ctx.uow(), vault, clip, camera_id="CAM-1", recorded_at=now - timedelta(hours=1), user="gw")
    svc.place_hold(ctx.uow(), vault, case_id="HK-CASE-55", clip_ids=[clip_id], user="cmd", reason="assault",
                   until=None)
    svc.run_retention(ctx.uow(), vault, load_signing_key(ctx.settings))

    assert login_session(live.base_url, "cmd").get(live.base_url + "/admin/vault", timeout=30).status_code == 403

    login(browser, live.base_url, "vault-admin")
    browser.get(live.base_url + "/admin/vault")
    wait = WebDriverWait(browser, 30)
    verdict = wait.until(lambda b: b.find_element(By.ID, "vault-receipt-verdict"))
    assert verdict.text == "signature valid"
    assert "HK-CASE-55" in browser.find_element(By.ID, "vault-holds-table").text
    assert "1 clips in the vault" in browser.find_element(By.ID, "vault-total").text
    models = browser.find_element(By.ID, "vault-models-table").text
    assert "opencv-hog-people" in models and "pedestrian_ssdlite" in models


def test_the_vault_page_refuses_guests(vault_db, start_live_app):
    live = start_live_app(vault_db)
    response = requests.get(live.base_url + "/admin/vault", allow_redirects=False, timeout=30)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
