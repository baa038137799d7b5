"""SQL of crime risk: footfall per hex, forecasts, patrol plans, reported visits, audit sums.

Every function runs in the caller's transaction.  H3 cells are BIGINT;
times are timestamptz UTC; positions WGS84 (EPSG:4326).  A patrol plan is a
``draft`` until a commander issues it (migration 073): drafts never count in
planned attention, dosage or the audit sums.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb


def footfall(conn: psycopg.Connection, resolution: int, start: datetime, end: datetime,
             bin_seconds: int, origin: datetime) -> pd.DataFrame:
    """Mean people visible per hex and bin (``h3``, ``bin_start``, ``people``).

    ``people_s / 300`` of a 5-minute bucket is the mean number of people visible
    summed over the hex's cameras; the bin value is its mean over the buckets
    that have data (unmeasured buckets are not zeros).
    """
    rows = conn.execute(
        "SELECT h3, date_bin(make_interval(secs => %s), bucket, %s) AS b, avg(people_s / 300.0) "
        "FROM detections_hex_5min WHERE resolution = %s AND bucket >= %s AND bucket < %s "
        "GROUP BY 1, 2",
        (bin_seconds, origin, resolution, start, end),
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["h3", "bin_start", "people"])
    frame["bin_start"] = pd.to_datetime(frame["bin_start"], utc=True)
    frame["people"] = frame["people"].astype(float)
    return frame


def district_cells(conn: psycopg.Connection, resolution: int, district: str | None = None) -> pd.DataFrame:
    """Land hexes (``cell``, ``lat``, ``lon`` of the centre, ``district``)."""
    rows = conn.execute(
        "SELECT h3, ST_Y(centroid), ST_X(centroid), district_code FROM hex_cells "
        "WHERE resolution = %s AND (%s::text IS NULL OR district_code = %s) ORDER BY h3",
        (resolution, district, district),
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["cell", "lat", "lon", "district"])
    frame["cell"] = frame["cell"].astype(np.int64)
    return frame


def districts(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """``(code, English name)`` of every district."""
    return conn.execute("SELECT code, name_en FROM districts ORDER BY code").fetchall()


def save_forecast(conn: psycopg.Connection, *, model: str, horizon: str, resolution: int,
                  event_type: str | None, window_start: datetime, window_end: datetime,
                  backtest: dict, params: dict, rows: pd.DataFrame) -> int:
    """Store a forecast run and its rows (``h3``, ``expected``, ``rank``, ``contributions`` dict)."""
    run_id = conn.execute(
        "INSERT INTO risk_forecast_runs (model, horizon, resolution, event_type, window_start, window_end, "
        "backtest, params) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING run_id",
        (model, horizon, resolution, event_type, window_start, window_end, Jsonb(backtest), Jsonb(params)),
    ).fetchone()[0]
    with conn.cursor().copy(
        "COPY risk_forecasts (run_id, h3, expected, rank, contributions) FROM STDIN"
    ) as copy:
        for h3, expected, rank, parts in rows[["h3", "expected", "rank", "contributions"]].itertuples(index=False):
            copy.write_row((run_id, int(h3), float(expected), int(rank), Jsonb(parts)))
    return int(run_id)


def _columns(names: tuple[str, ...]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


_RUN_COLUMNS = ("run_id", "created_at", "model", "horizon", "resolution", "event_type", "window_start",
                "window_end", "backtest", "params")


def latest_run(conn: psycopg.Connection, resolution: int, horizon: str, event_type: str | None) -> dict | None:
    """The newest forecast run for these settings (``event_type`` None = all types)."""
    row = conn.execute(
        sql.SQL("SELECT {} FROM risk_forecast_runs "
                "WHERE resolution = %s AND horizon = %s AND event_type IS NOT DISTINCT FROM %s "
                "ORDER BY created_at DESC, run_id DESC LIMIT 1").format(_columns(_RUN_COLUMNS)),
        (resolution, horizon, event_type),
    ).fetchone()
    return dict(zip(_RUN_COLUMNS, row)) if row else None


def get_run(conn: psycopg.Connection, run_id: int) -> dict | None:
    row = conn.execute(sql.SQL("SELECT {} FROM risk_forecast_runs WHERE run_id = %s").format(
        _columns(_RUN_COLUMNS)), (run_id,)).fetchone()
    return dict(zip(_RUN_COLUMNS, row)) if row else None


def forecast_rows(conn: psycopg.Connection, run_id: int, district: str | None = None) -> pd.DataFrame:
    """A run's rows with the hex's district and centre: ``h3, expected, rank, district, lat, lon``."""
    rows = conn.execute(
        "SELECT f.h3, f.expected, f.rank, c.district_code, ST_Y(c.centroid), ST_X(c.centroid) "
        "FROM risk_forecasts f LEFT JOIN hex_cells c ON c.h3 = f.h3 "
        "WHERE f.run_id = %s AND (%s::text IS NULL OR c.district_code = %s) ORDER BY f.rank",
        (run_id, district, district),
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["h3", "expected", "rank", "district", "lat", "lon"])
    frame["h3"] = frame["h3"].astype(np.int64)
    return frame


def forecast_cell(conn: psycopg.Connection, run_id: int, h3: int) -> dict | None:
    """One hex of a run: expected, rank, contributions and how many hexes were ranked."""
    row = conn.execute(
        "SELECT expected, rank, contributions, (SELECT count(*) FROM risk_forecasts WHERE run_id = %s) "
        "FROM risk_forecasts WHERE run_id = %s AND h3 = %s",
        (run_id, run_id, h3),
    ).fetchone()
    if row is None:
        return None
    return {"expected": row[0], "rank": row[1], "contributions": row[2], "ranked": row[3]}


def save_plan(conn: psycopg.Connection, *, created_by: str, run_id: int | None, district: str | None,
              shift_start: datetime, shift_end: datetime, units: int, objective: float, params: dict,
              hexes: pd.DataFrame, visits: pd.DataFrame, bases: pd.DataFrame) -> int:
    """Store a plan as a draft: ``hexes`` (h3, role, expected), ``visits`` (unit, seq, h3, planned_start,
    planned_end, travel_min, expected) and ``bases`` (unit, lat, lon)."""
    plan_id = conn.execute(
        "INSERT INTO patrol_plans (created_by, run_id, district_code, shift_start, shift_end, units, "
        "objective, params, status) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'draft') RETURNING plan_id",
        (created_by, run_id, district, shift_start, shift_end, units, objective, Jsonb(params)),
    ).fetchone()[0]
    _copy(conn, "COPY patrol_plan_hexes (plan_id, h3, role, expected) FROM STDIN",
          [(plan_id, int(h), r, float(e)) for h, r, e in hexes[["h3", "role", "expected"]].itertuples(index=False)])
    _copy(conn, "COPY patrol_plan_visits (plan_id, unit, seq, h3, planned_start, planned_end, travel_min, "
          "expected) FROM STDIN",
          [(plan_id, int(u), int(s), int(h), a, b, float(t), float(e)) for u, s, h, a, b, t, e in visits[
              ["unit", "seq", "h3", "planned_start", "planned_end", "travel_min", "expected"]].itertuples(index=False)])
    for unit, lat, lon in bases[["unit", "lat", "lon"]].itertuples(index=False):
        conn.execute("INSERT INTO patrol_plan_bases (plan_id, unit, geom) "
                     "VALUES (%s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326))", (plan_id, int(unit), lon, lat))
    return int(plan_id)


def _copy(conn: psycopg.Connection, statement: str, rows: list[tuple]) -> None:
    with conn.cursor().copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


_PLAN_COLUMNS = ("plan_id", "created_at", "created_by", "run_id", "district_code", "shift_start", "shift_end",
                 "units", "objective", "params", "status", "issued_at", "issued_by")


def get_plan(conn: psycopg.Connection, plan_id: int) -> dict | None:
    row = conn.execute(sql.SQL("SELECT {} FROM patrol_plans WHERE plan_id = %s").format(
        _columns(_PLAN_COLUMNS)), (plan_id,)).fetchone()
    return dict(zip(_PLAN_COLUMNS, row)) if row else None


def recent_plans(conn: psycopg.Connection, limit: int = 20, *, issued_only: bool = True,
                 drafts_of: str | None = None) -> list[dict]:
    """The newest plans: issued ones, plus (with ``drafts_of``) that user's drafts, or every plan
    (``issued_only=False``)."""
    rows = conn.execute(sql.SQL(
        "SELECT {} FROM patrol_plans WHERE NOT %s OR status = 'issued' OR (status = 'draft' AND created_by = %s) "
        "ORDER BY created_at DESC, plan_id DESC LIMIT %s").format(_columns(_PLAN_COLUMNS)),
        (issued_only, drafts_of, limit)).fetchall()
    return [dict(zip(_PLAN_COLUMNS, r)) for r in rows]


def issue_plan(conn: psycopg.Connection, plan_id: int, issued_by: str, issued_at: datetime) -> bool:
    """Turn a draft into an issued plan; False when it is not a draft (or does not exist)."""
    return conn.execute(
        "UPDATE patrol_plans SET status = 'issued', issued_by = %s, issued_at = %s "
        "WHERE plan_id = %s AND status = 'draft'", (issued_by, issued_at, plan_id)).rowcount == 1


def delete_drafts(conn: psycopg.Connection, created_by: str, district: str | None, shift_start: datetime) -> int:
    """Delete a user's drafts for one district and shift (a new draft replaces them)."""
    return conn.execute(
        "DELETE FROM patrol_plans WHERE status = 'draft' AND created_by = %s "
        "AND district_code IS NOT DISTINCT FROM %s AND shift_start = %s",
        (created_by, district, shift_start)).rowcount


def plan_visits(conn: psycopg.Connection, plan_id: int) -> pd.DataFrame:
    """Planned visits with the hex centre: ``unit, seq, h3, planned_start, planned_end, travel_min,
    expected, lat, lon``."""
    rows = conn.execute(
        "SELECT v.unit, v.seq, v.h3, v.planned_start, v.planned_end, v.travel_min, v.expected, "
        "ST_Y(c.centroid), ST_X(c.centroid) FROM patrol_plan_visits v "
        "LEFT JOIN hex_cells c ON c.h3 = v.h3 WHERE v.plan_id = %s ORDER BY v.unit, v.seq",
        (plan_id,),
    ).fetchall()
    return pd.DataFrame(rows, columns=["unit", "seq", "h3", "planned_start", "planned_end", "travel_min",
                                       "expected", "lat", "lon"])


def plan_hexes(conn: psycopg.Connection, plan_ids: list[int]) -> pd.DataFrame:
    """Hexes of plans: ``plan_id, h3, role, expected``."""
    rows = conn.execute("SELECT plan_id, h3, role, expected FROM patrol_plan_hexes WHERE plan_id = ANY(%s)",
                        (list(plan_ids),)).fetchall()
    return pd.DataFrame(rows, columns=["plan_id", "h3", "role", "expected"])


def plan_bases(conn: psycopg.Connection, plan_id: int) -> pd.DataFrame:
    rows = conn.execute("SELECT unit, ST_Y(geom), ST_X(geom) FROM patrol_plan_bases WHERE plan_id = %s "
                        "ORDER BY unit", (plan_id,)).fetchall()
    return pd.DataFrame(rows, columns=["unit", "lat", "lon"])


def record_visit(conn: psycopg.Connection, *, plan_id: int, unit: int, h3: int, started_at: datetime,
                 ended_at: datetime, reported_by: str) -> tuple[int, bool]:
    """Record a reported visit; a repeat of the same report is not stored twice.

    Returns ``(visit_id, created)``.
    """
    row = conn.execute(
        "INSERT INTO patrol_visits (plan_id, unit, h3, started_at, ended_at, reported_by) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (plan_id, unit, h3, started_at) DO NOTHING "
        "RETURNING visit_id",
        (plan_id, unit, h3, started_at, ended_at, reported_by),
    ).fetchone()
    if row is not None:
        return int(row[0]), True
    existing = conn.execute(
        "SELECT visit_id FROM patrol_visits WHERE plan_id = %s AND unit = %s AND h3 = %s AND started_at = %s",
        (plan_id, unit, h3, started_at),
    ).fetchone()
    return int(existing[0]), False


def dosage(conn: psycopg.Connection, plan_ids: list[int]) -> pd.Series:
    """Reported minutes of patrol presence per hex over ``plan_ids``."""
    rows = conn.execute(
        "SELECT v.h3, sum(extract(epoch FROM v.ended_at - v.started_at)) / 60.0 FROM patrol_visits v "
        "JOIN patrol_plans p USING (plan_id) WHERE v.plan_id = ANY(%s) AND p.status = 'issued' GROUP BY v.h3",
        (list(plan_ids),),
    ).fetchall()
    return pd.Series({int(h): float(m) for h, m in rows}, dtype=float)


def public_incidents_by_cell(conn: psycopg.Connection, resolution: int, start: datetime,
                             end: datetime) -> pd.Series:
    """Incidents reported by the public per hex in ``[start, end)``."""
    column = sql.Identifier({8: "h3_r8", 9: "h3_r9", 10: "h3_r10"}[resolution])
    rows = conn.execute(
        sql.SQL("SELECT {}, count(*) FROM incidents WHERE source = 'public' "
                "AND occurred_at >= %s AND occurred_at < %s GROUP BY 1").format(column), (start, end),
    ).fetchall()
    return pd.Series({int(h): float(n) for h, n in rows}, dtype=float)


def plans_between(conn: psycopg.Connection, start: datetime, end: datetime) -> list[int]:
    """Issued plans whose shift starts in ``[start, end)``."""
    return [r[0] for r in conn.execute(
        "SELECT plan_id FROM patrol_plans WHERE status = 'issued' AND shift_start >= %s AND shift_start < %s "
        "ORDER BY plan_id", (start, end)).fetchall()]


def planned_attention(conn: psycopg.Connection, start: datetime, end: datetime) -> pd.DataFrame:
    """Per hex: shifts with a planned visit and planned minutes, over issued plans starting in the span.

    Returns ``h3, shifts, minutes`` and, in ``attrs["plans"]``, how many plans there were.
    """
    rows = conn.execute(
        "SELECT v.h3, count(DISTINCT v.plan_id), sum(extract(epoch FROM v.planned_end - v.planned_start)) / 60.0 "
        "FROM patrol_plan_visits v JOIN patrol_plans p USING (plan_id) "
        "WHERE p.status = 'issued' AND p.shift_start >= %s AND p.shift_start < %s GROUP BY v.h3", (start, end),
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["h3", "shifts", "minutes"]).astype({"minutes": float})
    frame.attrs["plans"] = int(conn.execute(
        "SELECT count(*) FROM patrol_plans WHERE status = 'issued' AND shift_start >= %s AND shift_start < %s",
        (start, end),
    ).fetchone()[0])
    return frame


def risk_by_district(conn: psycopg.Connection, run_id: int) -> pd.Series:
    rows = conn.execute(
        "SELECT coalesce(c.district_code, '?'), sum(f.expected) FROM risk_forecasts f "
        "LEFT JOIN hex_cells c ON c.h3 = f.h3 WHERE f.run_id = %s GROUP BY 1", (run_id,),
    ).fetchall()
    return pd.Series({d: float(v) for d, v in rows}, dtype=float)


def attention_by_district(conn: psycopg.Connection, start: datetime, end: datetime) -> pd.Series:
    """Planned patrol minutes per district over issued plans whose shift starts in the span."""
    rows = conn.execute(
        "SELECT coalesce(c.district_code, '?'), sum(extract(epoch FROM v.planned_end - v.planned_start)) / 60.0 "
        "FROM patrol_plan_visits v JOIN patrol_plans p USING (plan_id) LEFT JOIN hex_cells c ON c.h3 = v.h3 "
        "WHERE p.status = 'issued' AND p.shift_start >= %s AND p.shift_start < %s GROUP BY 1", (start, end),
    ).fetchall()
    return pd.Series({d: float(v) for d, v in rows}, dtype=float)


def dosage_by_district(conn: psycopg.Connection, start: datetime, end: datetime) -> pd.Series:
    """Reported patrol minutes per district for visits (to issued plans) that started in the span."""
    rows = conn.execute(
        "SELECT coalesce(c.district_code, '?'), sum(extract(epoch FROM v.ended_at - v.started_at)) / 60.0 "
        "FROM patrol_visits v JOIN patrol_plans p USING (plan_id) LEFT JOIN hex_cells c ON c.h3 = v.h3 "
        "WHERE p.status = 'issued' AND v.started_at >= %s AND v.started_at < %s GROUP BY 1", (start, end),
    ).fetchall()
    return pd.Series({d: float(v) for d, v in rows}, dtype=float)


def public_incidents_by_district(conn: psycopg.Connection, start: datetime, end: datetime) -> pd.Series:
    rows = conn.execute(
        "SELECT coalesce(district_code, '?'), count(*) FROM incidents WHERE source = 'public' "
        "AND occurred_at >= %s AND occurred_at < %s GROUP BY 1", (start, end),
    ).fetchall()
    return pd.Series({d: float(v) for d, v in rows}, dtype=float)
