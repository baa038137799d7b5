"""Synthetic vault records for the retention benchmark (bench/video.py), set-based.

Never used by the product: it fills a throwaway database with cameras, day
keys (random bytes standing in for wrapped keys; the sweep never unwraps) and
clip rows, so that a sweep over a million records can be timed.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import psycopg

from hexops.geodata.h3cells import latlng_to_cells


def seed_cameras(conn: psycopg.Connection, n: int, seed: int = 3) -> list[str]:
    """``n`` police cameras at random points over Hong Kong (EPSG:4326); returns their ids."""
    rng = np.random.default_rng(seed)
    lat = rng.uniform(22.20, 22.50, n)
    lng = rng.uniform(113.90, 114.30, n)
    cells = {r: latlng_to_cells(lat, lng, r) for r in (8, 9, 10)}
    ids = [f"BENCH-{i:05d}" for i in range(n)]
    with conn.cursor() as cur:
        with cur.copy("COPY cameras (camera_id, owner_code, location, h3_r8, h3_r9, h3_r10) FROM STDIN") as copy:
            for i, camera_id in enumerate(ids):
                copy.write_row((camera_id, "HKPF", f"SRID=4326;POINT({lng[i]} {lat[i]})",
                                int(cells[8][i]), int(cells[9][i]), int(cells[10][i])))
    return ids


def seed_clip_records(conn: psycopg.Connection, first_day: date, days: int, clips_per_camera_day: int) -> int:
    """One day key per camera per day and ``clips_per_camera_day`` clip rows under each; returns clips."""
    conn.execute(
        "INSERT INTO vault_keys (kind, camera_id, day, kek_id, wrapped) "
        "SELECT 'day', c.camera_id, %(first)s::date + d, 'bench', sha256(convert_to(random()::text, 'UTF8')) "
        "  FROM cameras c CROSS JOIN generate_series(0, %(days)s - 1) AS d "
        " WHERE c.camera_id LIKE 'BENCH-%%'",
        {"first": first_day, "days": days},
    )
    return conn.execute(
        "INSERT INTO vault_clips (clip_id, camera_id, recorded_at, day, size_bytes, path, key_id, stored_by) "
        "SELECT md5(k.key_id::text || '-' || n), k.camera_id, "
        "       (k.day::timestamp AT TIME ZONE 'UTC') + make_interval(secs => n * 60), k.day, 12000000, "
        "       k.camera_id || '/' || k.day || '/' || md5(k.key_id::text || '-' || n) || '.hxv', k.key_id, 'bench' "
        "  FROM vault_keys k CROSS JOIN generate_series(1, %(n)s) AS n "
        " WHERE k.kek_id = 'bench' AND k.day >= %(first)s AND k.day < %(first)s::date + %(days)s",
        {"n": clips_per_camera_day, "first": first_day, "days": days},
    ).rowcount


def sample_clip_ids(conn: psycopg.Connection, n: int) -> list[str]:
    """A uniform random sample of clip ids (for the naive sweep)."""
    return [r[0] for r in conn.execute(
        "SELECT clip_id FROM vault_clips TABLESAMPLE BERNOULLI (5) ORDER BY random() LIMIT %s", (n,)).fetchall()]


def naive_sweep(conn: psycopg.Connection, clip_ids: list[str], now: datetime) -> int:
    """The per-row approach: test each clip singly, delete its key and row singly, commit each.

    Returns the clips deleted.
    """
    deleted = 0
    for clip_id in clip_ids:
        row = conn.execute(
            "SELECT c.key_id, hexops_vault_expiry(c.camera_id, c.day) <= %s FROM vault_clips c WHERE c.clip_id = %s",
            (now, clip_id),
        ).fetchone()
        if row is not None and row[1]:
            if row[0] is not None:
                conn.execute("DELETE FROM vault_keys WHERE key_id = %s", (row[0],))
            conn.execute("DELETE FROM vault_clips WHERE clip_id = %s", (clip_id,))
            deleted += 1
        conn.commit()
    return deleted
