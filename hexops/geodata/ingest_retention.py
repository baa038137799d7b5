"""Retention of day-partitioned tables: list, configure and drop whole day partitions.

Dropping a partition is instant and leaves no dead rows, unlike DELETE; a
day is dropped only when all of it is older than the table's keep_days.
"""

from __future__ import annotations

import datetime as dt

import psycopg


def keep_days(conn: psycopg.Connection) -> dict[str, int]:
    """keep_days of every registered day-partitioned table."""
    rows = conn.execute("SELECT table_name, keep_days FROM hexops_partitioned_tables").fetchall()
    return {name: int(days) for name, days in rows}


def periods(conn: psycopg.Connection) -> dict[str, str]:
    """Partition period (``day`` or ``month``) of every registered partitioned table."""
    return {name: period for name, period in conn.execute(
        "SELECT table_name, period FROM hexops_partitioned_tables").fetchall()}


def set_keep_days(conn: psycopg.Connection, table: str, days: int) -> None:
    """Change a registered table's retention (days > 0)."""
    cur = conn.execute(
        "UPDATE hexops_partitioned_tables SET keep_days = %s WHERE table_name = %s", (days, table)
    )
    if cur.rowcount != 1:
        raise ValueError(f"table: {table!r} is not a registered day-partitioned table")


def day_partitions(conn: psycopg.Connection, table: str) -> list[tuple[str, dt.date]]:
    """(partition name, day) of ``table``'s day partitions, oldest first.

    Only partitions named ``<table>_pYYYYMMDD`` (as
    ``hexops_ensure_day_partitions`` makes them) are listed.
    """
    rows = conn.execute(
        "SELECT c.relname, to_date(substring(c.relname FROM '_p([0-9]{8})$'), 'YYYYMMDD') "
        "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(%s) AND c.relname ~ '_p[0-9]{8}$' "
        "ORDER BY 2",
        (table,),
    ).fetchall()
    return [(name, day) for name, day in rows]


def drop_partition(conn: psycopg.Connection, partition: str) -> None:
    """Drop one partition (in the caller's transaction).

    Through ``hexops_drop_day_partition`` (migration 035): the application's
    role owns no table, so only that owner-defined function may drop one.
    """
    conn.execute("SELECT hexops_drop_day_partition(%s)", (partition,))
