"""Crime-risk use cases: load incidents, make and store a forecast, read the map, explain a hex, audit.

Each function takes a unit of work (:class:`hexops.geodata.uow.UnitOfWork`)
and owns its transaction: writers commit, readers leave nothing behind.
``make demo`` runs :func:`demo_step` (order 40): a forecast per horizon from
the demo city's incidents and one patrol plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from hexops.analytics.risk import (
    build_counts, make_models, parse_horizon, parse_names, quick_names, run_backtest, spec, with_baselines,
)
from hexops.analytics.risk.audit import district_audit
from hexops.analytics.risk.errors import RiskInputError
from hexops.analytics.risk.events import ColumnMapping, prepare_events
from hexops.analytics.risk.feedback import discount_weights, patrol_probability
from hexops.analytics.risk.verdict import Verdict, verdict
from hexops.city import HONG_KONG
from hexops.geodata.errors import LoadError
from hexops.services.patrol import create_plan, issue_plan
from hexops.services.risk_backtest import read_table

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


def load_incident_file(uow, path: Path, mapping: ColumnMapping, *, strict: bool = False) -> LoadReport:
    """Validate a CSV of incidents and store the valid rows in one transaction.

    Refused rows are returned with their reasons; with ``strict`` any refused
    row refuses the whole file (``LoadError``) and nothing is written.
    """
    prepared = prepare_events(read_table(Path(path)), mapping, resolution=9)
    if strict and prepared.problems:
        raise LoadError(str(path), prepared.problems)
    with uow:
        inserted, skipped = uow.incidents.store_incidents(prepared.events)
        uow.commit()
    return LoadReport(inserted, skipped, prepared.problems)


def forecast_cutoff(as_of: datetime, bin_width: pd.Timedelta) -> pd.Timestamp:
    """The first bin edge at or after ``as_of``, on a grid anchored at local midnight."""
    ts = pd.Timestamp(as_of).tz_convert(LOCAL_TZ)
    midnight = ts.normalize()
    steps = int(np.ceil((ts - midnight) / bin_width))
    return (midnight + steps * bin_width).tz_convert("UTC")


def compute_forecast(uow, *, resolution: int = 9, horizon: str = "1d", event_type: str | None = None,
                     model: str = "auto", as_of: datetime | None = None, now: datetime | None = None,
                     models: tuple[str, ...] | None = None, progress: bool = False) -> int:
    """Forecast the next bin after ``as_of`` for every hex and store it; returns the run id.

    A short rolling backtest of every model over the last bins before the
    cutoff is stored with the run, city-wide and per district; the naive
    baselines are always in it.  ``model="auto"`` uses the best of all of
    them by PAI at 5%, so when no model beats counting last year's incidents
    the forecast in use *is* that count.  Patrol-found incidents are
    discounted by how often plans sent patrols to their hex
    (:mod:`analytics.risk.feedback`), and camera footfall enters the
    gradient-boosted model as exposure.

    Parameters
    ----------
    uow : UnitOfWork
        Committed once, after the run and its rows are stored.
    resolution : int
        H3 resolution of the forecast hexes (8, 9 or 10).
    horizon : str
        ``shift`` (8 h), ``1d`` or ``7d``.
    model : str
        ``auto`` or a registered forecaster's name.
    as_of : datetime, optional
        Default: ``now``, or just after the last incident if that is earlier
        (a replayed history).
    now : datetime, optional
        The product clock's now (default: wall-clock time).
    models : tuple of str, optional
        Forecasters compared in the stored backtest and candidates for
        ``auto`` (default: the registry's defaults; baselines are added).
    """
    bin_width = parse_horizon(horizon)
    names = parse_names(models)
    if model != "auto":
        spec(model)
        names = names + [model]
    names = with_baselines(names)
    with uow:
        first, last = uow.incidents.incident_span()
        if last is None:
            raise RiskInputError("there are no incidents to forecast from; load some with `hexops load incidents`")
        if as_of is None:
            as_of = min(now or datetime.now(timezone.utc), last + pd.Timedelta(microseconds=1))
        cutoff = forecast_cutoff(as_of, bin_width)
        n_back = int(min(LOOKBACK, cutoff - pd.Timestamp(first)) // bin_width) + 1
        origin = cutoff - n_back * bin_width
        events = uow.incidents.incident_frame(origin, cutoff, resolution, event_type)
        attention = uow.risk.planned_attention(cutoff - ATTENTION_WINDOW, cutoff)
        probability = patrol_probability(attention.set_index("h3")["shifts"], attention.attrs["plans"])
        events["weight"] = discount_weights(events, probability)
        land = uow.risk.district_cells(resolution)
        cells = np.union1d(land["cell"].to_numpy(dtype=np.int64), events["cell"].to_numpy(dtype=np.int64))
        matrix = build_counts(events, origin=origin, end=cutoff + bin_width, bin_width=bin_width, cells=cells)
        matrix.exposure = _exposure(uow, matrix, resolution)
        district_of = dict(zip(land["cell"].to_numpy(dtype=np.int64).tolist(), land["district"].tolist()))
        groups = np.array([district_of.get(int(c)) or "" for c in cells], dtype=object)

        test_bins = min(BACKTEST_BINS.get(horizon, 28), max(n_back // 4, 1))
        backtest = run_backtest(matrix, make_models(names), n_back - test_bins, n_back, progress=progress,
                                groups=groups).as_json()
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
                  "footfall_hexes": int(np.isfinite(matrix.exposure).any(axis=1).sum())
                  if matrix.exposure is not None else 0}
        run_id = uow.risk.save_forecast(
            model=chosen, horizon=horizon, resolution=resolution, event_type=event_type,
            window_start=cutoff.to_pydatetime(), window_end=(cutoff + bin_width).to_pydatetime(),
            backtest=backtest, params=params, rows=rows,
        )
        uow.commit()
    return run_id


def _exposure(uow, matrix, resolution: int) -> np.ndarray | None:
    """Footfall per cell and bin from the detections (NaN where unmeasured), or None."""
    end = matrix.bin_start(matrix.n_bins)
    frame = uow.risk.footfall(resolution, matrix.origin, end, int(matrix.bin_width.total_seconds()), matrix.origin)
    if frame.empty:
        return None
    rows = pd.Index(matrix.cells).get_indexer(frame["h3"].to_numpy(dtype=np.int64))
    cols = ((frame["bin_start"] - matrix.origin) // matrix.bin_width).to_numpy(dtype=int)
    keep = (rows >= 0) & (cols >= 0) & (cols < matrix.n_bins)
    out = np.full((len(matrix.cells), matrix.n_bins), np.nan)
    out[rows[keep], cols[keep]] = frame["people"].to_numpy()[keep]
    return out


def latest_forecast(uow, *, resolution: int = 9, horizon: str = "1d", event_type: str | None = None) -> dict | None:
    """The newest stored forecast run for these settings, or None."""
    with uow:
        return uow.risk.latest_run(resolution, horizon, event_type)


def forecast_run(uow, run_id: int) -> dict | None:
    """A stored forecast run (its model, window, backtest and parameters), or None."""
    with uow:
        return uow.risk.get_run(run_id)


def risk_map(uow, *, resolution: int = 9, horizon: str = "1d", event_type: str | None = None,
             district: str | None = None) -> tuple[dict | None, pd.DataFrame]:
    """The newest forecast for these settings and its rows (optionally one district's)."""
    with uow:
        run = uow.risk.latest_run(resolution, horizon, event_type)
        if run is None:
            return None, pd.DataFrame(columns=["h3", "expected", "rank", "district", "lat", "lon"])
        return run, uow.risk.forecast_rows(run["run_id"], district)


def forecast_verdict(run: dict, district: str | None = None) -> Verdict | None:
    """How a stored forecast compared with counting last year's incidents, city-wide or in ``district``."""
    return verdict(run.get("backtest") or {}, run["model"], district)


def explain_hex(uow, run_id: int, cell: int) -> dict | None:
    """Expected count, rank among the run's hexes, and contributions largest first."""
    with uow:
        found = uow.risk.forecast_cell(run_id, cell)
    if found is None:
        return None
    parts = sorted(found["contributions"].items(), key=lambda kv: -abs(kv[1]))
    return {"expected": found["expected"], "rank": found["rank"], "ranked": found["ranked"], "parts": parts}


def explain_latest_hex(uow, cell: int, *, resolution: int = 9, horizon: str = "1d",
                       event_type: str | None = None) -> dict | None:
    """:func:`explain_hex` for the newest forecast of these settings (None without one)."""
    with uow:
        run = uow.risk.latest_run(resolution, horizon, event_type)
        return explain_hex(uow, run["run_id"], cell) if run is not None else None


def audit_report(uow, run_id: int, *, days: int = 28, limit: float = 1.5) -> pd.DataFrame:
    """Per-district shares of predicted risk, planned and reported patrol minutes and public reports, with flags."""
    with uow:
        run = uow.risk.get_run(run_id)
        if run is None:
            raise RiskInputError(f"no forecast run {run_id}")
        end = run["window_start"]
        start = end - pd.Timedelta(days=days)
        return district_audit(
            uow.risk.risk_by_district(run_id),
            uow.risk.attention_by_district(start, end + pd.Timedelta(days=1)),
            uow.risk.public_incidents_by_district(start, end),
            limit=limit,
            dosage=uow.risk.dosage_by_district(start, end + pd.Timedelta(days=1)),
        )


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def demo_step(context, echo: Callable[[str], None]) -> None:
    """``make demo`` step 40: forecasts (skipped when they exist) and a patrol plan.

    Every horizon gets an all-types forecast by the best of the registry's
    default forecasters and the baselines; each incident type gets a next-day
    forecast from the quick ones, so the page's type selector has something
    to show.
    """
    with context.uow() as uow:
        has_incidents = uow.incidents.incident_span()[1] is not None
        types = uow.incidents.incident_types() if has_incidents else []
    if not has_incidents:
        echo("crime risk: no incidents loaded (step 10 loads the demo city's), skipped")
        return
    wanted = [(h, None, None) for h in ("shift", "1d", "7d")]
    wanted += [("1d", t, tuple(quick_names())) for t in types]
    for horizon, event_type, models in wanted:
        label = f"{horizon} forecast" + (f" of {event_type}" if event_type else "")
        if latest_forecast(context.uow(), resolution=9, horizon=horizon, event_type=event_type) is not None:
            echo(f"crime risk: a {label} exists, skipped")
            continue
        run_id = compute_forecast(context.uow(), resolution=9, horizon=horizon, event_type=event_type,
                                  models=models, now=context.clock().now())
        run = latest_forecast(context.uow(), resolution=9, horizon=horizon, event_type=event_type)
        scores = run["backtest"]["models"]
        echo(f"crime risk: {label} {run_id} by {run['model']} (backtest PAI@5% "
             f"{_figure(scores[run['model']]['pai_5'])}, counting last year's incidents "
             f"{_figure(scores['naive_365']['pai_5'])})")
    with context.uow() as uow:
        if uow.risk.recent_plans(1):
            return
        run, rows = risk_map(uow, resolution=9, horizon="shift")
        busiest = rows.groupby("district")["expected"].sum().idxmax()
    # Drafted, then issued: the demo's plan is in force (drafts count nowhere).
    plan_id = create_plan(context.uow(), district=busiest, units=6, shift_start=run["window_start"],
                          shift_hours=8, created_by="system:demo")
    issue_plan(context.uow(), plan_id, actor="system:demo", at=run["window_start"])
    echo(f"crime risk: patrol plan {plan_id} for district {busiest}, 6 units (issued)")
