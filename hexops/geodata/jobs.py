"""Storage of the background jobs: schedule, leases, runs, step cursors, locks and the scenario clock.

Every function takes an open connection and runs inside the caller's
transaction; the unit of work commits.  Times are ``timestamptz`` (UTC).
Scheduling uses the database's own clock (``now()``), so workers on
different machines agree on what is due.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

#: Advisory-lock namespace of the alert machines (first key of the pair).
_STEP_LOCK_SPACE = "hexops-alerts"


def ensure_job(conn: psycopg.Connection, name: str, period_s: float, timeout_s: float) -> None:
    """Register a job (or update its period and timeout); a new job is due at once."""
    conn.execute(
        """
        INSERT INTO jobs (name, period_s, timeout_s) VALUES (%s, %s, %s)
        ON CONFLICT (name) DO UPDATE SET period_s = excluded.period_s, timeout_s = excluded.timeout_s
        """,
        (name, period_s, timeout_s),
    )


def make_due(conn: psycopg.Connection, name: str) -> bool:
    """Make a job due now; False when no such job is registered."""
    return conn.execute("UPDATE jobs SET next_due = now() WHERE name = %s", (name,)).rowcount == 1


def claim_due(conn: psycopg.Connection, worker: str, names: list[str] | None = None,
              overdue_s: float = 0.0) -> dict[str, Any] | None:
    """Lease the most overdue job that no live lease holds, or None.

    ``FOR UPDATE SKIP LOCKED`` lets concurrent workers claim different jobs
    without waiting on each other; the lease lasts the job's timeout.  With
    ``overdue_s`` only jobs due at least that many seconds ago are claimed (a
    worker leaves a job that another worker keeps warm to that worker first).
    """
    row = conn.execute(
        """
        UPDATE jobs j SET lease_owner = %(worker)s, lease_until = now() + make_interval(secs => j.timeout_s),
                          last_started = now()
        FROM (
            SELECT name FROM jobs
            WHERE enabled AND next_due <= now() - make_interval(secs => %(overdue)s)
              AND (lease_until IS NULL OR lease_until < now())
              AND (%(names)s::text[] IS NULL OR name = ANY(%(names)s::text[]))
            ORDER BY next_due
            LIMIT 1
            FOR UPDATE SKIP LOCKED
        ) due
        WHERE j.name = due.name
        RETURNING j.name, j.period_s, j.timeout_s, j.next_due, j.consecutive_failures, now() AS started_at
        """,
        {"worker": worker, "names": names, "overdue": overdue_s},
    ).fetchone()
    if row is None:
        return None
    return dict(zip(("name", "period_s", "timeout_s", "due_at", "consecutive_failures", "started_at"), row))


def live_leases(conn: psycopg.Connection, owner_prefix: str) -> list[tuple[str, str]]:
    """``(job, owner)`` of unexpired leases whose owner starts with ``owner_prefix`` (``host:``)."""
    return conn.execute(
        "SELECT name, lease_owner FROM jobs WHERE lease_until > now() AND starts_with(lease_owner, %s)",
        (owner_prefix,),
    ).fetchall()


def release_lease(conn: psycopg.Connection, job: str, owner: str) -> bool:
    """Expire ``owner``'s lease of ``job`` now (its process is gone); the job is claimable at once."""
    cur = conn.execute(
        "UPDATE jobs SET lease_owner = NULL, lease_until = NULL, next_due = least(next_due, now()) "
        "WHERE name = %s AND lease_owner = %s",
        (job, owner),
    )
    conn.execute(
        "UPDATE job_runs SET finished_at = now(), outcome = 'failure', error = 'worker process died' "
        "WHERE job = %s AND worker = %s AND outcome = 'running'",
        (job, owner),
    )
    return cur.rowcount == 1


def start_run(conn: psycopg.Connection, job: str, worker: str, due_at: datetime, started_at: datetime) -> int:
    """Record that a run began; returns its ``run_id``."""
    row = conn.execute(
        """
        INSERT INTO job_runs (job, worker, due_at, started_at, lag_s)
        VALUES (%s, %s, %s, %s, greatest(0, extract(epoch FROM (%s::timestamptz - %s::timestamptz))))
        RETURNING run_id
        """,
        (job, worker, due_at, started_at, started_at, due_at),
    ).fetchone()
    return int(row[0])


def finish_run(conn: psycopg.Connection, run_id: int, job: str, worker: str, *, ok: bool,
               detail: dict[str, Any], error: str | None, retry_after_s: float | None) -> None:
    """Record a run's outcome, release the lease and schedule the next run.

    On success the job is next due one period after it was due (never in the
    past, so a worker that fell behind does not run it back to back); on
    failure after ``retry_after_s`` seconds.
    """
    conn.execute(
        """
        UPDATE job_runs SET finished_at = now(), outcome = %(outcome)s, detail = %(detail)s, error = %(error)s
        WHERE run_id = %(run_id)s
        """,
        {"outcome": "success" if ok else "failure", "detail": Jsonb(detail), "error": error, "run_id": run_id},
    )
    conn.execute(
        """
        UPDATE jobs SET
            lease_owner = NULL, lease_until = NULL, last_finished = now(),
            last_duration_s = extract(epoch FROM (now() - last_started)),
            last_success = CASE WHEN %(ok)s THEN now() ELSE last_success END,
            last_error = CASE WHEN %(ok)s THEN NULL ELSE %(error)s END,
            consecutive_failures = CASE WHEN %(ok)s THEN 0 ELSE consecutive_failures + 1 END,
            total_failures = total_failures + CASE WHEN %(ok)s THEN 0 ELSE 1 END,
            next_due = CASE WHEN %(ok)s
                THEN greatest(next_due + make_interval(secs => period_s), now())
                ELSE now() + make_interval(secs => %(retry)s) END
        WHERE name = %(job)s AND lease_owner = %(worker)s
        """,
        {"ok": ok, "error": error, "retry": retry_after_s or 0.0, "job": job, "worker": worker},
    )


def job_status(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every job's schedule and last outcome, with ``now`` from the database."""
    cur = conn.execute(
        """
        SELECT name, period_s, timeout_s, next_due, lease_owner, lease_until, last_started, last_finished,
               last_success, last_duration_s, last_error, consecutive_failures, total_failures, enabled,
               now() AS now
        FROM jobs ORDER BY name
        """
    )
    names = [c.name for c in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def recent_runs(conn: psycopg.Connection, limit: int = 50) -> list[dict[str, Any]]:
    """The latest runs of every job, newest first."""
    cur = conn.execute(
        """
        SELECT run_id, job, worker, due_at, started_at, finished_at, lag_s, outcome, detail, error
        FROM job_runs ORDER BY run_id DESC LIMIT %s
        """,
        (limit,),
    )
    names = [c.name for c in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def prune_runs(conn: psycopg.Connection, keep_per_job: int = 500) -> int:
    """Delete all but the newest ``keep_per_job`` runs of each job; returns rows deleted."""
    cur = conn.execute(
        """
        DELETE FROM job_runs r USING (
            SELECT run_id, row_number() OVER (PARTITION BY job ORDER BY run_id DESC) AS n FROM job_runs
        ) ranked
        WHERE r.run_id = ranked.run_id AND ranked.n > %s
        """,
        (keep_per_job,),
    )
    return cur.rowcount


def try_step_lock(conn: psycopg.Connection, machine: str) -> bool:
    """Take an alert machine's session lock; False when another process is stepping it.

    A session lock (not a transaction one) because a machine commits after
    every step; :func:`release_step_lock` frees it, and so does a dropped
    connection when a worker is killed.
    """
    row = conn.execute("SELECT pg_try_advisory_lock(hashtext(%s), hashtext(%s))",
                       (_STEP_LOCK_SPACE, machine)).fetchone()
    return bool(row[0])


def release_step_lock(conn: psycopg.Connection, machine: str) -> None:
    conn.execute("SELECT pg_advisory_unlock(hashtext(%s), hashtext(%s))", (_STEP_LOCK_SPACE, machine))


def get_cursor(conn: psycopg.Connection, machine: str) -> datetime | None:
    """The end of the last committed step of ``machine`` (``'crowd'`` or ``'flood'``)."""
    row = conn.execute("SELECT as_of FROM alert_cursors WHERE job = %s", (machine,)).fetchone()
    return row[0] if row else None


def set_cursor(conn: psycopg.Connection, machine: str, as_of: datetime) -> None:
    conn.execute(
        "INSERT INTO alert_cursors (job, as_of) VALUES (%s, %s) ON CONFLICT (job) DO UPDATE SET as_of = excluded.as_of",
        (machine, as_of),
    )


def cursors(conn: psycopg.Connection) -> dict[str, datetime]:
    """Every alert machine's cursor."""
    return dict(conn.execute("SELECT job, as_of FROM alert_cursors").fetchall())


def scenario_clock(conn: psycopg.Connection) -> dict[str, Any] | None:
    """The scenario clock's anchor, speed and stop, with the database's ``now``; None when unset."""
    cur = conn.execute("SELECT anchor_wall, anchor_scenario, speed, stop_at, now() FROM scenario_clock")
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip(("anchor_wall", "anchor_scenario", "speed", "stop_at", "now"), row))


def set_scenario_clock(conn: psycopg.Connection, anchor_scenario: datetime, speed: float,
                       stop_at: datetime | None) -> None:
    """Start the scenario clock at ``anchor_scenario`` now (wall time from the database)."""
    conn.execute(
        """
        INSERT INTO scenario_clock (singleton, anchor_wall, anchor_scenario, speed, stop_at)
        VALUES (true, now(), %s, %s, %s)
        ON CONFLICT (singleton) DO UPDATE SET anchor_wall = excluded.anchor_wall,
            anchor_scenario = excluded.anchor_scenario, speed = excluded.speed, stop_at = excluded.stop_at
        """,
        (anchor_scenario, speed, stop_at),
    )


def clear_scenario_clock(conn: psycopg.Connection) -> None:
    """Back to wall-clock time."""
    conn.execute("DELETE FROM scenario_clock")


def machine_inputs(conn: psycopg.Connection) -> dict[str, str]:
    """Fingerprints of what the alert machines load besides their own state, to tell a kept
    (warm) machine that its layout is stale: the camera registry's version, the crowd
    calibration (regions and when they were computed), the low-lying places, the crews."""
    row = conn.execute(
        """
        SELECT (SELECT version::text FROM camera_registry_version),
               (SELECT count(*) || ':' || coalesce(max(computed_at)::text, '') FROM crowd_regions),
               (SELECT md5(coalesce(string_agg(place_id || ':' || prior || ':' || md5(ST_AsBinary(geom)), ','
                                               ORDER BY place_id), '')) FROM low_lying_places),
               (SELECT md5(coalesce(string_agg(crew_id || ':' || depot_id, ',' ORDER BY crew_id), ''))
                FROM drainage_crews)
        """
    ).fetchone()
    return dict(zip(("cameras", "crowd_regions", "low_lying", "crews"), row))
