"""Crime-risk use cases: load incidents, make and store a forecast, read the map, explain a hex, audit.

Each function takes an open connection (one transaction, the caller's) and
joins a ``geodata`` query to an ``analytics.risk`` model.  ``make demo``
runs :func:`demo_step` (order 40): a forecast per horizon from the demo
city's incidents and one patrol plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import psycopg

from hexops.analytics.risk import build_counts, make_models, parse_horizon, run_backtest
from hexops.analytics.risk.audit import district_audit
from hexops.analytics.risk.errors import RiskInputError
from hexops.analytics.risk.events import ColumnMapping, prepare_events
from hexops.analytics.risk.feedback import discount_weights, patrol_probability
from hexops.geodata import incidents as incident_sql
from hexops.geodata import risk as risk_sql
from hexops.geodata.errors import LoadError
from hexops.city import HONG_KONG

DEMO_STEP = (40, "crime risk: forecasts per horizon with backtests, a patrol plan")

#: Local time of bins and of the dashboard.
LOCAL_TZ = HONG_KONG.time_zone
#: History a forecast reads (feature windows up to a year, training spans up to two).
LOOKBACK = pd.Timedelta(days=3 * 365)
#: Shifts of patrol plans used to estimate each hex's patrol probability.
ATTENTION_WINDOW = pd.Timedelta(days=91)
#: Bins of the short backtest run with every forecast (shown beside the map).
BACKTEST_BINS = {"shift": 42, "1d": 28, "7d": 8}


@dataclass
class LoadReport:
    inserted: int
    skipped: int
    problems: list[str] = field(default_factory=list)


def load_incident_file(context, path: Path, mapping: ColumnMapping, *, strict: bool = False) -> LoadReport:
    """Validate a CSV of incidents and store the valid rows in one transaction.

    Refused rows are returned with their reasons; with ``strict`` any refused
    row refuses the whole file (``LoadError``) and nothing is written.
    """
    from hexops.services.risk_backtest import read_table

    prepared = prepare_events(read_table(Path(path)), mapping, resolution=9)
    if strict and prepared.problems:
        raise LoadError(str(path), prepared.problems)
    with context.db.connection() as conn:
        inserted, skipped = incident_sql.store_incidents(conn, prepared.events)
    return LoadReport(inserted, skipped, prepared.problems)


def forecast_cutoff(as_of: datetime, bin_width: pd.Timedelta) -> pd.Timestamp:
    """The first bin edge at or after ``as_of``, on a grid anchored at local midnight."""
    ts = pd.Timestamp(as_of).tz_convert(LOCAL_TZ)
    midnight = ts.normalize()
    steps = int(np.ceil((ts - midnight) / bin_width))
    return (midnight + steps * bin_width).tz_convert("UTC")


def compute_forecast(conn: psycopg.Connection, *, resolution: int = 9, horizon: str = "1d",
                     event_type: str | None = None, model: str = "auto", as_of: datetime | None = None,
                     models: tuple[str, ...] = ("kde", "hawkes", "gbm"), progress: bool = False) -> int:
    """Forecast the next bin after ``as_of`` for every hex and store it; returns the run id.

    A short rolling backtest of every model over the last bins before the
    cutoff is stored with the run; ``model="auto"`` picks the best of them
    by PAI at 5%.  Patrol-found incidents are discounted by how often plans
    sent patrols to their hex (:mod:`analytics.risk.feedback`), and camera
    footfall enters the gradient-boosted model as exposure.

    Parameters
    ----------
    resolution : int
        H3 resolution of the forecast hexes (8, 9 or 10).
    horizon : str
        ``shift`` (8 h), ``1d`` or ``7d``.
    as_of : datetime, optional
        Default: now, or just after the last incident if that is earlier
        (a replayed history).
    models : tuple of str
        Models compared in the stored backtest (and candidates for ``auto``).
    """
    bin_width = parse_horizon(horizon)
    first, last = incident_sql.incident_span(conn)
    if last is None:
        raise RiskInputError("there are no incidents to forecast from; load some with `hexops load incidents`")
    if as_of is None:
        as_of = min(datetime.now(timezone.utc), last + pd.Timedelta(microseconds=1))
    cutoff = forecast_cutoff(as_of, bin_width)
    n_back = int(min(LOOKBACK, cutoff - pd.Timestamp(first)) // bin_width) + 1
    origin = cutoff - n_back * bin_width
    events = incident_sql.incident_frame(conn, origin, cutoff, resolution, event_type)
    attention = risk_sql.planned_attention(conn, cutoff - ATTENTION_WINDOW, cutoff)
    probability = patrol_probability(attention.set_index("h3")["shifts"], attention.attrs["plans"])
    events["weight"] = discount_weights(events, probability)
    land = risk_sql.district_cells(conn, resolution)
    cells = np.union1d(land["cell"].to_numpy(dtype=np.int64), events["cell"].to_numpy(dtype=np.int64))
    matrix = build_counts(events, origin=origin, end=cutoff + bin_width, bin_width=bin_width, cells=cells)
    matrix.exposure = _exposure(conn, matrix, resolution)

    names = tuple(models)
    test_bins = min(BACKTEST_BINS.get(horizon, 28), max(n_back // 4, 1))
    backtest = run_backtest(matrix, make_models(names), n_back - test_bins, n_back, progress=progress).as_json()
    chosen = backtest["best"] if model == "auto" else model
    forecaster = make_models((chosen,))[0]
    history = matrix.until(n_back)
    forecaster.fit(history)
    parts = forecaster.explain(history)
    expected = np.clip(np.sum(list(parts.values()), axis=0), 0.0, None)
    rank = (-expected).argsort(kind="stable").argsort() + 1
    contributions = [
        {name: round(float(values[i]), 5) for name, values in parts.items() if abs(values[i]) >= 1e-6}
        for i in range(len(cells))
    ]
    rows = pd.DataFrame({"h3": cells, "expected": expected, "rank": rank, "contributions": contributions})
    params = {"as_of": pd.Timestamp(as_of).isoformat(), "incidents_used": int(len(events)),
              "patrol_found_discounted": int((events["weight"] < 1).sum()),
              "footfall_hexes": int(np.isfinite(matrix.exposure).any(axis=1).sum()) if matrix.exposure is not None else 0}
    return risk_sql.save_forecast(
        conn, model=chosen, horizon=horizon, resolution=resolution, event_type=event_type,
        window_start=cutoff.to_pydatetime(), window_end=(cutoff + bin_width).to_pydatetime(),
        backtest=backtest, params=params, rows=rows,
    )


def _exposure(conn: psycopg.Connection, matrix, resolution: int) -> np.ndarray | None:
    """Footfall per cell and bin from the detections (NaN where unmeasured), or None."""
    end = matrix.bin_start(matrix.n_bins)
    frame = risk_sql.footfall(conn, resolution, matrix.origin, end,
                              int(matrix.bin_width.total_seconds()), matrix.origin)
    if frame.empty:
        return None
    rows = pd.Index(matrix.cells).get_indexer(frame["h3"].to_numpy(dtype=np.int64))
    cols = ((frame["bin_start"] - matrix.origin) // matrix.bin_width).to_numpy(dtype=int)
    keep = (rows >= 0) & (cols >= 0) & (cols < matrix.n_bins)
    out = np.full((len(matrix.cells), matrix.n_bins), np.nan)
    out[rows[keep], cols[keep]] = frame["people"].to_numpy()[keep]
    return out


def risk_map(conn: psycopg.Connection, *, resolution: int = 9, horizon: str = "1d",
             event_type: str | None = None, district: str | None = None) -> tuple[dict | None, pd.DataFrame]:
    """The newest forecast for these settings and its rows (optionally one district's)."""
    run = risk_sql.latest_run(conn, resolution, horizon, event_type)
    if run is None:
        return None, pd.DataFrame(columns=["h3", "expected", "rank", "district", "lat", "lon"])
    return run, risk_sql.forecast_rows(conn, run["run_id"], district)


def explain_hex(conn: psycopg.Connection, run_id: int, cell: int) -> dict | None:
    """Expected count, rank among the run's hexes, and contributions largest first."""
    found = risk_sql.forecast_cell(conn, run_id, cell)
    if found is None:
        return None
    parts = sorted(found["contributions"].items(), key=lambda kv: -abs(kv[1]))
    return {"expected": found["expected"], "rank": found["rank"], "ranked": found["ranked"], "parts": parts}


def audit_report(conn: psycopg.Connection, run_id: int, *, days: int = 28, limit: float = 1.5) -> pd.DataFrame:
    """Per-district shares of predicted risk, planned and reported patrol minutes and public reports, with flags."""
    run = risk_sql.get_run(conn, run_id)
    if run is None:
        raise RiskInputError(f"no forecast run {run_id}")
    end = run["window_start"]
    start = end - pd.Timedelta(days=days)
    return district_audit(
        risk_sql.risk_by_district(conn, run_id),
        risk_sql.attention_by_district(conn, start, end + pd.Timedelta(days=1)),
        risk_sql.public_incidents_by_district(conn, start, end),
        limit=limit,
        dosage=risk_sql.dosage_by_district(conn, start, end + pd.Timedelta(days=1)),
    )


def demo_step(context, echo: Callable[[str], None]) -> None:
    """``make demo`` step 40: forecasts (skipped when they exist) and a patrol plan.

    Every horizon gets an all-types forecast by the best of the three models;
    each incident type gets a next-day forecast from the two fast models, so
    the page's type selector has something to show.
    """
    from hexops.services.patrol import create_plan

    with context.db.connection() as conn:
        if incident_sql.incident_span(conn)[1] is None:
            echo("crime risk: no incidents loaded (step 10 loads the demo city's), skipped")
            return
        wanted = [(h, None, ("kde", "hawkes", "gbm")) for h in ("shift", "1d", "7d")]
        wanted += [("1d", t, ("kde", "hawkes")) for t in incident_sql.incident_types(conn)]
        for horizon, event_type, models in wanted:
            label = f"{horizon} forecast" + (f" of {event_type}" if event_type else "")
            if risk_sql.latest_run(conn, 9, horizon, event_type) is not None:
                echo(f"crime risk: a {label} exists, skipped")
                continue
            run_id = compute_forecast(conn, resolution=9, horizon=horizon, event_type=event_type, models=models)
            run = risk_sql.get_run(conn, run_id)
            best = run["backtest"]["models"][run["model"]]
            echo(f"crime risk: {label} {run_id} by {run['model']} "
                 f"(backtest PAI@5% {best['pai_5']:.2f}, kde {run['backtest']['models']['kde']['pai_5']:.2f})")
        if not risk_sql.recent_plans(conn, 1):
            run, rows = risk_map(conn, resolution=9, horizon="shift")
            busiest = rows.groupby("district")["expected"].sum().idxmax()
            plan_id = create_plan(conn, district=busiest, units=6, shift_start=run["window_start"],
                                  shift_hours=8, created_by="system:demo")
            echo(f"crime risk: patrol plan {plan_id} for district {busiest}, 6 units")
