"""SQL for floods: low-lying places, flood states and transitions, crews and their plans.

Every function takes an open psycopg connection and runs inside the
caller's transaction.  Geometry is WGS84 (EPSG:4326) as WKB; flood hexes are
H3 resolution 9 (BIGINT); times are ``timestamptz`` (UTC).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import psycopg
import shapely
from psycopg.types.json import Jsonb
from shapely.geometry import MultiPolygon, Polygon


def _multi(geom) -> MultiPolygon:
    return MultiPolygon([geom]) if isinstance(geom, Polygon) else geom


def upsert_low_lying(conn: psycopg.Connection, frame: pd.DataFrame) -> int:
    """Insert or replace places: ``place_id``, ``name``, ``kind``, ``prior`` (0..1), ``geometry``."""
    rows = [
        (p, n, k, float(pr), shapely.to_wkb(_multi(g)))
        for p, n, k, pr, g in zip(frame["place_id"], frame["name"], frame["kind"], frame["prior"], frame["geometry"])
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO low_lying_places (place_id, name, kind, prior, geom) "
            "VALUES (%s, %s, %s, %s, ST_SetSRID(ST_GeomFromWKB(%s), 4326)) "
            "ON CONFLICT (place_id) DO UPDATE SET name = excluded.name, kind = excluded.kind, "
            "prior = excluded.prior, geom = excluded.geom",
            rows,
        )
    return len(rows)


def list_low_lying(conn: psycopg.Connection) -> pd.DataFrame:
    """Low-lying places: ``place_id``, ``name``, ``kind``, ``prior``, ``geometry`` (MultiPolygon, EPSG:4326)."""
    rows = conn.execute(
        "SELECT place_id, name, kind, prior, ST_AsBinary(geom) FROM low_lying_places ORDER BY place_id"
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["place_id", "name", "kind", "prior", "geometry"])
    frame["geometry"] = shapely.from_wkb([bytes(b) for b in frame["geometry"]]) if len(frame) else []
    return frame


def camera_cells(conn: psycopg.Connection) -> pd.DataFrame:
    """Active cameras' resolution-9 cells: ``camera_id``, ``h3_r9``."""
    rows = conn.execute("SELECT camera_id, h3_r9 FROM cameras WHERE status = 'active' ORDER BY camera_id").fetchall()
    return pd.DataFrame(rows, columns=["camera_id", "h3_r9"])


def flood_states(conn: psycopg.Connection) -> pd.DataFrame:
    """Stored states: ``h3``, ``state``, ``since``, ``lower_since``, ``as_of``, ``evidence``."""
    rows = conn.execute(
        "SELECT h3, state, since, lower_since, as_of, evidence FROM flood_hex_states ORDER BY h3"
    ).fetchall()
    return pd.DataFrame(rows, columns=["h3", "state", "since", "lower_since", "as_of", "evidence"])


def save_flood_states(conn: psycopg.Connection, rows: list[tuple]) -> int:
    """Upsert states: rows of (h3, state, since, lower_since, as_of, evidence dict)."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO flood_hex_states (h3, state, since, lower_since, as_of, evidence) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (h3) DO UPDATE SET state = excluded.state, "
            "since = excluded.since, lower_since = excluded.lower_since, as_of = excluded.as_of, "
            "evidence = excluded.evidence",
            [(int(h), s, si, lo, a, Jsonb(e)) for h, s, si, lo, a, e in rows],
        )
    return len(rows)


def record_transitions(conn: psycopg.Connection, rows: list[tuple]) -> int:
    """Append transitions: rows of (h3, at, from_state, to_state, reason, evidence dict)."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO flood_transitions (h3, at, from_state, to_state, reason, evidence) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (h3, at, to_state) DO NOTHING",
            [(int(h), at, f, t, r, Jsonb(e)) for h, at, f, t, r, e in rows],
        )
    return len(rows)


def list_transitions(conn: psycopg.Connection, start: datetime, end: datetime) -> pd.DataFrame:
    """Transitions in ``[start, end]``, in time order."""
    rows = conn.execute(
        "SELECT transition_id, h3, at, from_state, to_state, reason, evidence FROM flood_transitions "
        "WHERE at >= %s AND at <= %s ORDER BY at, h3",
        (start, end),
    ).fetchall()
    return pd.DataFrame(rows, columns=["transition_id", "h3", "at", "from_state", "to_state", "reason", "evidence"])


def states_at(conn: psycopg.Connection, at: datetime) -> pd.DataFrame:
    """Each hex's state at ``at`` from the transition log (hexes never transitioned are normal)."""
    rows = conn.execute(
        "SELECT DISTINCT ON (h3) h3, to_state, at, evidence FROM flood_transitions WHERE at <= %s "
        "ORDER BY h3, at DESC, transition_id DESC",
        (at,),
    ).fetchall()
    return pd.DataFrame(rows, columns=["h3", "state", "since", "evidence"])


def upsert_depots(conn: psycopg.Connection, rows: list[tuple]) -> int:
    """Depots: rows of (depot_id, name, lon, lat) in EPSG:4326 degrees."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO drainage_depots (depot_id, name, geom) VALUES (%s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) "
            "ON CONFLICT (depot_id) DO UPDATE SET name = excluded.name, geom = excluded.geom",
            rows,
        )
    return len(rows)


def upsert_crews(conn: psycopg.Connection, rows: list[tuple]) -> int:
    """Crews: rows of (crew_id, depot_id, name)."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO drainage_crews (crew_id, depot_id, name) VALUES (%s, %s, %s) "
            "ON CONFLICT (crew_id) DO UPDATE SET depot_id = excluded.depot_id, name = excluded.name",
            rows,
        )
    return len(rows)


def list_crews(conn: psycopg.Connection) -> pd.DataFrame:
    """Crews with their depot: ``crew_id``, ``name``, ``depot_id``, ``depot_name``, ``lon``, ``lat``."""
    rows = conn.execute(
        "SELECT c.crew_id, c.name, d.depot_id, d.name, ST_X(d.geom), ST_Y(d.geom) "
        "FROM drainage_crews c JOIN drainage_depots d USING (depot_id) ORDER BY c.crew_id"
    ).fetchall()
    return pd.DataFrame(rows, columns=["crew_id", "name", "depot_id", "depot_name", "lon", "lat"])


def save_crew_plan(conn: psycopg.Connection, as_of: datetime, plan: pd.DataFrame) -> int:
    """Store a plan (``h3``, ``crew_id``, ``order``, ``eta_min``, ``severity``); returns its id."""
    objective = float((plan["severity"] * plan["eta_min"].fillna(0)).sum()) if len(plan) else 0.0
    plan_id = conn.execute(
        "INSERT INTO crew_plans (as_of, n_flooded, objective) VALUES (%s, %s, %s) RETURNING plan_id",
        (as_of, len(plan), objective),
    ).fetchone()[0]
    rows = [
        (plan_id, int(h), c, None if pd.isna(o) else int(o), None if pd.isna(e) else float(e), float(s))
        for h, c, o, e, s in zip(plan["h3"], plan["crew_id"], plan["order"], plan["eta_min"], plan["severity"])
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO crew_assignments (plan_id, h3, crew_id, job_order, eta_min, severity) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            rows,
        )
    return int(plan_id)


def crew_plan_at(conn: psycopg.Connection, at: datetime) -> tuple[dict | None, pd.DataFrame]:
    """The latest plan made for a time at or before ``at``, and its assignments."""
    head = conn.execute(
        "SELECT plan_id, as_of, n_flooded, objective FROM crew_plans WHERE as_of <= %s "
        "ORDER BY as_of DESC, plan_id DESC LIMIT 1",
        (at,),
    ).fetchone()
    columns = ["h3", "crew_id", "order", "eta_min", "severity"]
    if head is None:
        return None, pd.DataFrame(columns=columns)
    rows = conn.execute(
        "SELECT h3, crew_id, job_order, eta_min, severity FROM crew_assignments WHERE plan_id = %s "
        "ORDER BY crew_id NULLS LAST, job_order, h3",
        (head[0],),
    ).fetchall()
    return ({"plan_id": head[0], "as_of": head[1], "n_flooded": head[2], "objective": head[3]},
            pd.DataFrame(rows, columns=columns))
