"""The demo step: one user per role, a gateway token, the Drainage Department's grants, credentials file."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import psycopg
import pytest
import requests

from hexops.services import accounts


@pytest.fixture(scope="module")
def demo_context(module_db_url):
    """A database the demo step has run on twice (it must be idempotent)."""
    from hexops.bootstrap import AppContext
    from hexops.settings import Settings

    context = AppContext(Settings(state_dir=Path(tempfile.mkdtemp(prefix="hexops-demo-")),
                                  database_url=module_db_url))
    accounts.demo_step(context, lambda _m: None)
    accounts.demo_step(context, lambda _m: None)
    yield context
    context.close()


def test_the_demo_creates_one_user_per_role_and_writes_their_credentials(demo_context):
    credentials = json.loads((demo_context.settings.state_dir / "demo-credentials.json").read_text())
    roles = {name: c["role"] for name, c in credentials.items()}
    assert roles == {"commander": "commander", "event-manager": "event_manager", "drainage-partner": "partner",
                     "admin": "admin", "gateway-hkpf": "device"}
    assert all(c["token"].startswith("hxt_") for c in credentials.values())
    assert credentials["gateway-hkpf"]["password"] is None


def test_the_drainage_department_is_granted_water_layers_only(demo_context):
    with demo_context.db.connection() as conn:
        from hexops.geodata.grants import live_layers

        layers = live_layers(conn, "DSD")
    assert layers == {"flood_alerts", "flood_states", "rainfall", "water_states"}


def test_after_running_twice_the_credentials_work_and_each_layer_has_one_grant(demo_context):
    credentials = json.loads((demo_context.settings.state_dir / "demo-credentials.json").read_text())
    policy = accounts.Policy()
    _, user = accounts.login(demo_context.uow(), "drainage-partner", credentials["drainage-partner"]["password"],
                             policy)
    gateway = accounts.user_for_token(demo_context.uow(), credentials["gateway-hkpf"]["token"])
    with demo_context.db.connection() as conn:
        open_grants = conn.execute("SELECT count(*) FROM layer_grants WHERE revoked_at IS NULL").fetchone()[0]
    assert (user.role, user.department) == ("partner", "DSD")
    assert (gateway.role, gateway.department, gateway.scopes) == ("device", "HKPF", frozenset({"detections:write"}))
    assert open_grants == 4


def test_the_demo_partner_signs_in_and_lands_on_a_page_it_may_open(demo_context, start_live_app):
    import dash

    from hexops.dashboard import access

    credentials = json.loads((demo_context.settings.state_dir / "demo-credentials.json").read_text())
    live = start_live_app(demo_context.settings.database_url)
    response = requests.post(live.base_url + "/auth/login", allow_redirects=False, timeout=30,
                             data={"username": "drainage-partner",
                                   "password": credentials["drainage-partner"]["password"]})
    landing = response.headers["Location"]
    with psycopg.connect(demo_context.settings.database_url) as conn:
        from hexops.geodata.grants import live_layers

        user = access.User("drainage-partner", "partner", "DSD", live_layers(conn, "DSD"))
    permitted = {p["relative_path"] for p in dash.page_registry.values()
                 if p.get("nav", True) is not False and access.PUBLIC not in (p.get("allowed_roles") or [])
                 and access.page_allowed(p, user)}
    assert response.status_code == 303
    assert landing in permitted if permitted else landing == "/login?signed_in=1"
