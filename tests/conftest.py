"""Shared test fixtures: a real, throwaway PostGIS cluster for the whole run.

Integration and e2e tests never mock PostgreSQL: the session starts a
private cluster in a temporary directory (fsync off; it is deleted after the
run), applies the migrations once into a template database, and hands each
test that asks a fresh copy of it (``CREATE DATABASE ... TEMPLATE``, about
50 ms).

Area-specific fixtures live in ``tests/fixtures/<area>.py``; every module
there is loaded as a pytest plugin, so adding one needs no edit here.
"""

from __future__ import annotations

import itertools
import pkgutil
import tempfile
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

import tests.fixtures

pytest_plugins = [
    f"tests.fixtures.{m.name}" for m in pkgutil.iter_modules(tests.fixtures.__path__)
]

TEMPLATE_DB = "hexops_template"
_db_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster():
    """A running throwaway PostGIS cluster (geodata.cluster.PrivateCluster)."""
    from hexops.geodata.cluster import PrivateCluster

    root = Path(tempfile.mkdtemp(prefix="hexops-test-")) / "pg"
    cluster = PrivateCluster(root, throwaway=True)
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="session")
def template_db_url(pg_cluster) -> str:
    """URL of a database with every migration applied; copied, never written by tests."""
    from hexops.geodata import migrate

    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE_DB)))
    url = pg_cluster.url(TEMPLATE_DB)
    migrate.apply_all(url)
    return url


def create_database_from_template(pg_cluster, template_url: str, prefix: str = "t") -> str:
    """Create a new database copied from the template; return its URL."""
    name = f"{prefix}_{next(_db_counter)}"
    template = template_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        )
    return pg_cluster.url(name)


def drop_database(pg_cluster, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


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
    """A database with nothing in it, not even the migrations."""
    name = f"empty_{next(_db_counter)}"
    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = pg_cluster.url(name)
    yield url
    drop_database(pg_cluster, url)
