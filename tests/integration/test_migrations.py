"""Migrations apply to an empty database, re-apply as a no-op, and refuse edited history."""

import psycopg
import pytest

from hexops.geodata import migrate
from hexops.geodata.errors import MigrationError


def test_migrations_apply_to_an_empty_database_and_create_the_core_tables(empty_db_url):
    applied = migrate.apply_all(empty_db_url)
    assert [m.version for m in applied] == [m.version for m in migrate.discover()]
    with psycopg.connect(empty_db_url) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        postgis = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'").fetchone()
    assert {"districts", "cameras", "hex_cells", "incidents", "rainfall_readings", "audit_log",
            "detections_camera_minute", "detections_hex_5min"} <= tables
    assert postgis is not None


def test_reapplying_migrations_is_a_no_op(empty_db_url):
    migrate.apply_all(empty_db_url)
    version = migrate.current_version(empty_db_url)
    assert migrate.apply_all(empty_db_url) == []
    assert migrate.current_version(empty_db_url) == version


def test_an_edited_applied_migration_is_refused(empty_db_url):
    migrate.apply_all(empty_db_url)
    with psycopg.connect(empty_db_url) as conn:
        conn.execute("UPDATE schema_migrations SET checksum = 'x' WHERE version = 1")
    with pytest.raises(MigrationError, match="edited after it was applied"):
        migrate.apply_all(empty_db_url)


def test_day_partitions_are_created_once_with_a_brin_index(db_url):
    with psycopg.connect(db_url) as conn:
        created = conn.execute(
            "SELECT hexops_ensure_day_partitions('detections_hex_5min', '2026-10-01', '2026-10-03')"
        ).fetchone()[0]
        again = conn.execute(
            "SELECT hexops_ensure_day_partitions('detections_hex_5min', '2026-10-01', '2026-10-03')"
        ).fetchone()[0]
        brin = conn.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'detections_hex_5min_p202610%' "
            "AND indexdef ILIKE '%brin%'"
        ).fetchone()[0]
    assert (created, again, brin) == (3, 0, 3)
