"""Shared test fixtures: a real, throwaway PostGIS cluster for the whole run.

Integration and e2e tests never mock PostgreSQL: the session starts a
private cluster in a temporary directory (fsync off; it is deleted after the
run), applies the migrations once into a template database, and hands each
test that asks a fresh copy of it (``CREATE DATABASE ... TEMPLATE``, about
50 ms).

The cluster is the product's own: password authentication and three roles
(:mod:`hexops.geodata.cluster_auth`).  Migrations run as the owner role;
``db_url`` and friends connect as the application's role, which cannot
change the audit log or any table's definition, so every test exercises the
app with the rights it has in production.  A test that plays an attacker or
a DBA asks for another role with :func:`url_as`.

Every audit entry is sealed with a key (``geodata.audit``); the session uses
:data:`TEST_AUDIT_KEY` for connections that no app context opened.

Area-specific fixtures live in ``tests/fixtures/<area>.py``; every module
there is loaded as a pytest plugin, so adding one needs no edit here.
"""

from __future__ import annotations

import itertools
import pkgutil
import tempfile
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

import tests.fixtures
from hexops.geodata import audit

pytest_plugins = [
    f"tests.fixtures.{m.name}" for m in pkgutil.iter_modules(tests.fixtures.__path__)
]

TEMPLATE_DB = "hexops_template"
_db_counter = itertools.count()
#: The audit sealing key of connections no app context opened (raw ``psycopg.connect`` in tests).
TEST_AUDIT_KEY = bytes(range(32))
audit.use_seal_key(TEST_AUDIT_KEY)


def dbname_of(url: str) -> str:
    """The database a libpq URL names."""
    return conninfo_to_dict(url)["dbname"]


def url_as(pg_cluster, url: str, role: str) -> str:
    """The same database as ``role`` (``"app"``, ``"owner"`` or ``"super"``)."""
    return pg_cluster.url(dbname_of(url), role=role)


@pytest.fixture(scope="session")
def pg_cluster():
    """A running throwaway PostGIS cluster (geodata.cluster.PrivateCluster), with its three roles."""
    from hexops.geodata.cluster import PrivateCluster

    root = Path(tempfile.mkdtemp(prefix="hexops-test-")) / "pg"
    cluster = PrivateCluster(root, throwaway=True)
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="session")
def template_db_url(pg_cluster) -> str:
    """URL (app role) of a database with every migration applied; copied, never written by tests."""
    from hexops.geodata import migrate
    from hexops.geodata.cluster_auth import APP

    owner_url = pg_cluster.create_database(TEMPLATE_DB)
    migrate.apply_all(owner_url, app_role=APP)
    return pg_cluster.url(TEMPLATE_DB, role="app")


def create_database_from_template(pg_cluster, template_url: str, prefix: str = "t") -> str:
    """Create a new database copied from the template; return its URL as the app role."""
    name = f"{prefix}_{next(_db_counter)}"
    pg_cluster.create_database(name, template=dbname_of(template_url))
    return pg_cluster.url(name, role="app")


def drop_database(pg_cluster, url: str) -> None:
    pg_cluster.drop_database(dbname_of(url))


@pytest.fixture
def db_url(pg_cluster, template_db_url) -> str:
    """A fresh, migrated, empty database for one test."""
    url = create_database_from_template(pg_cluster, template_db_url)
    yield url
    drop_database(pg_cluster, url)


@pytest.fixture(scope="module")
def module_db_url(pg_cluster, template_db_url) -> str:
    """A fresh, migrated, empty database shared by the tests of one module."""
    url = create_database_from_template(pg_cluster, template_db_url, prefix="m")
    yield url
    drop_database(pg_cluster, url)


@pytest.fixture
def empty_db_url(pg_cluster) -> str:
    """A database with nothing in it but PostGIS, not even the migrations; as the owner role."""
    name = f"empty_{next(_db_counter)}"
    url = pg_cluster.create_database(name)
    yield url
    drop_database(pg_cluster, url)
