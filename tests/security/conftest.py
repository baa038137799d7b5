"""The attacker's target: the real app served over HTTP on a seeded database, with one caller per role.

``attack_world`` (module scope: each module attacks a world of its own)
seeds the small shared-layers world of :mod:`tests.fixtures.sharing`, adds
secrets an attacker would want (a user, a webhook address, an audit row),
serves the real app (Dash pages, API, OGC API) on loopback and signs in one
person per role.  Callers:

- ``guest``: no cookie, no token;
- ``<role>`` (commander, event_manager, partner, admin): a password session;
- ``<role>:token``: that person's API token with the role's usual scopes
  (``services.accounts.TOKEN_SCOPES``), and ``device:token`` (a gateway).

The fuzzers write through the callbacks they are allowed to call (users,
grants, zones), which is why no two modules share a world.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from tests.fixtures.auth import create_user, grant_layers, issue_token, login_session
from tests.fixtures.sharing import DSD_LAYERS, seed

PEOPLE = {"commander": "sec-commander", "event_manager": "sec-events", "partner": "sec-partner", "admin": "sec-admin"}
DEVICE = "sec-gateway"
#: Strings only the admin pages may show: if any reaches another caller, data leaked.
ADMIN_SECRETS = ("zz-secret-user", "SECRET-HOOK-7f3a", "admin-users-table", "admin-grants-table")
#: Component ids only the vault page renders.
VAULT_MARKERS = ("vault-total", "vault-holds-table", "vault-models-table")
#: Component ids only the commander page renders.
COMMANDER_MARKERS = ("commander-horizon", "commander-plan-units")


@dataclass
class AttackWorld:
    base_url: str
    db_url: str
    server: object
    sessions: dict[str, requests.Session] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def http(self, caller: str) -> requests.Session:
        """A fresh ``requests.Session`` acting as ``caller`` (see the module docstring)."""
        if caller == "guest":
            return requests.Session()
        if caller.endswith(":token"):
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {self.tokens[caller.split(':')[0]]}"
            return session
        return self.sessions[caller]

    @property
    def callers(self) -> list[str]:
        return ["guest", *PEOPLE, *(f"{role}:token" for role in (*PEOPLE, "device"))]


@pytest.fixture(scope="module")
def attack_world(pg_cluster, template_db_url):
    from hexops.geodata.uow import UnitOfWork
    from hexops.services import webhooks
    from hexops.services.accounts import TOKEN_SCOPES
    from tests.conftest import create_database_from_template, drop_database
    from tests.fixtures.live_app import LiveApp

    db_url = create_database_from_template(pg_cluster, template_db_url, prefix="attack")
    seed(db_url, datetime.now(timezone.utc))
    for role, name in PEOPLE.items():
        create_user(db_url, name, role, department="DSD" if role == "partner" else None)
    create_user(db_url, "zz-secret-user", "commander")
    create_user(db_url, DEVICE, "device", department="HKPF")
    grant_layers(db_url, "DSD", DSD_LAYERS)
    webhooks.add_endpoint(UnitOfWork.for_url(db_url), "DSD", "https://dsd.example/hooks/SECRET-HOOK-7f3a",
                          actor="test")
    live = LiveApp(db_url, Path(tempfile.mkdtemp(prefix="hexops-attack-")))
    world = AttackWorld(live.base_url, db_url, live.server)
    for role, name in PEOPLE.items():
        world.sessions[role] = login_session(live.base_url, name)
        world.tokens[role] = issue_token(db_url, name, scopes=TOKEN_SCOPES[role])
    world.tokens["device"] = issue_token(db_url, DEVICE, scopes=TOKEN_SCOPES["device"])
    requests.get(live.base_url + "/login", timeout=30)  # the first request lets Dash register its callbacks
    yield world
    live.stop()
    drop_database(pg_cluster, db_url)
