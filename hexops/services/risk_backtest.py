"""The CSV backtest use case: a file in, scores per model, a JSON report and a plot out.

Needs no database, so anyone can check hexops's forecasters on their own
incident history before trusting its map.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hexops.analytics.risk import (
    SKILL_KEY, TABLE_METRICS, BacktestResult, CountMatrix, build_counts, make_models, parse_horizon, parse_names,
    run_backtest, with_baselines,
)
from hexops.analytics.risk.errors import RiskInputError
from hexops.analytics.risk.events import ColumnMapping, PreparedEvents, prepare_events

#: History kept before the training cutoff: the longest feature window (one
#: year) plus the longest training span (two years) plus slack.
LOOKBACK = pd.Timedelta(days=4 * 365)


@dataclass
class FileBacktest:
    """Outcome of :func:`backtest_file`."""

    result: BacktestResult
    report: dict
    prepared: PreparedEvents
    matrix: CountMatrix
    plot_path: Path | None = None


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (optionally gzip-compressed) as strings, every column kept."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except FileNotFoundError:
        raise RiskInputError(f"{path}: no such file") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise RiskInputError(f"{path}: not a readable CSV ({exc})") from None


def backtest_file(
    path: Path,
    mapping: ColumnMapping,
    *,
    train_until: str,
    test_until: str,
    resolution: int = 9,
    horizon: str = "1d",
    models: tuple[str, ...] | None = None,
    event_type: str | None = None,
    progress: bool = True,
) -> FileBacktest:
    """Rolling-origin backtest of ``models`` on an incident CSV.

    Parameters
    ----------
    path : Path
        CSV of incidents.
    mapping : ColumnMapping
        Which columns hold time, position (WGS84 or HK1980) and type.
    train_until, test_until : str
        ``YYYY-MM-DD`` local dates (``mapping.tz``), exclusive ends: models are
        first fitted on incidents before ``train_until`` and forecast every
        bin up to ``test_until``.
    resolution : int
        H3 resolution of the study cells (8, 9 or 10).
    horizon : str
        Bin width: ``shift`` (8 h), ``1d`` or ``7d``.
    models : tuple of str, optional
        Forecasters to compare (default: the registry's defaults); the naive
        baselines are always added.
    event_type : str, optional
        Keep only incidents of this type.
    """
    bin_width = parse_horizon(horizon)
    try:
        start = pd.Timestamp(train_until).tz_localize(mapping.tz).tz_convert("UTC")
        end = pd.Timestamp(test_until).tz_localize(mapping.tz).tz_convert("UTC")
    except (ValueError, TypeError) as exc:
        raise RiskInputError(f"dates must be YYYY-MM-DD: {exc}") from None
    if end <= start:
        raise RiskInputError(f"--test-until {test_until} must be after --train-until {train_until}")
    clock = time.perf_counter()
    prepared = prepare_events(read_table(Path(path)), mapping, resolution)
    prepare_s = time.perf_counter() - clock
    events = prepared.events
    if event_type is not None:
        events = events[events["type"] == event_type]
    before = events[events["time"] < start]
    if before.empty:
        raise RiskInputError(f"{path}: no incidents before {train_until} to train on")
    # Align the bins so that the training cutoff is a bin edge (local midnight).
    earliest = max(before["time"].min(), start - LOOKBACK)
    n_back = int(np.ceil((start - earliest) / bin_width))
    origin = start - n_back * bin_width
    n_test = int(np.ceil((end - start) / bin_width))
    cells = np.unique(before["cell"].to_numpy())
    matrix = build_counts(events, origin=origin, end=start + n_test * bin_width, bin_width=bin_width, cells=cells)
    names = with_baselines(parse_names(models))
    result = run_backtest(matrix, make_models(names), n_back, n_back + n_test, progress=progress)
    report = result.as_json()
    report["seconds"]["prepare"] = round(prepare_s, 2)
    report.update(
        {
            "file": str(path),
            "train_until": train_until,
            "test_until": test_until,
            "resolution": resolution,
            "horizon": horizon,
            "rows_refused": len(prepared.problems),
            "rows_used": int(len(events)),
        }
    )
    return FileBacktest(result, report, prepared, matrix)


def write_report(outcome: FileBacktest, json_path: Path) -> Path:
    """Write the JSON report and a hit-rate-curve PNG beside it; returns the PNG's path."""
    # A bare Figure needs no pyplot backend, so the CLI works without a display.
    from matplotlib.figure import Figure

    json_path = Path(json_path)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(outcome.report, indent=2))
    png = json_path.with_suffix(".png")
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    for name, board in outcome.result.scores.items():
        share, rate = board.curve()
        ax.plot(share * 100, rate * 100, label=f"{name} (PAI@5% {board.pai(0.05):.2f})")
    ax.plot([0, 20], [0, 20], color="grey", linestyle=":", label="random (PAI 1)")
    ax.set_xlabel("share of area flagged (%)")
    ax.set_ylabel("share of incidents in flagged area (%)")
    ax.set_title(f"Rolling backtest {outcome.report['train_until']} to {outcome.report['test_until']}, "
                 f"horizon {outcome.report['horizon']}")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    outcome.plot_path = png
    return png


def format_table(report: dict) -> str:
    """The scores as a plain text table: kind, every table metric and skill, best marked."""
    keys = list(TABLE_METRICS)
    width = max(12, *(len(name) + 1 for name in report["models"]))
    lines = [f"{'model':<{width}}{'kind':<10}" + "".join(f"{k:>12}" for k in keys) + f"{'seconds':>10}"]
    for name, metrics in report["models"].items():
        mark = " *" if name == report["best"] else ""
        values = "".join(f"{metrics[k]:>12.3f}" if metrics.get(k) is not None else f"{'-':>12}" for k in keys)
        lines.append(f"{name:<{width}}{report['kinds'].get(name, ''):<10}" + values
                     + f"{report['seconds'].get(name, float('nan')):>10.1f}{mark}")
    lines.append(f"* best by PAI at 5% over {report['origins']} origins, {report['n_cells']} cells; "
                 f"{SKILL_KEY} = PAI at 5% / {report.get('reference') or 'naive_365'}'s")
    best_model = report.get("best_model")
    if best_model is not None and report["models"][best_model].get(SKILL_KEY) is not None:
        skill = report["models"][best_model][SKILL_KEY]
        verdict = "beats" if skill > 1 else "does not beat"
        lines.append(f"best forecasting model: {best_model}, {verdict} counting last year's incidents "
                     f"({SKILL_KEY} {skill:.3f})")
    return "\n".join(lines)
