"""``hexops risk backtest|forecast|models|audit``, ``hexops patrol plan|effect`` and ``hexops load incidents``.

Commands import the services and models they need inside their functions:
importing them all (scikit-learn among them) costs about 2 s of start-up
that every other ``hexops`` command would pay (0.2 s without them).
"""

from __future__ import annotations

from pathlib import Path

import click

from hexops.cli import CliError, get_context, load_group
from hexops.city import HONG_KONG


class ForecasterChoice(click.Choice):
    """The forecaster names of the registry (plus ``extra``), read when first needed.

    The registry imports every forecaster, so it is asked only when an option
    is parsed or its help is shown, not when the ``hexops`` command starts.
    """

    def __init__(self, extra: tuple[str, ...] = ()):
        self._extra = tuple(extra)
        super().__init__((), case_sensitive=True)

    @property
    def choices(self) -> tuple[str, ...]:
        from hexops.analytics.risk.registry import names

        return (*self._extra, *names())

    @choices.setter
    def choices(self, value) -> None:
        # click.Choice.__init__ assigns the choices; ours always come from the registry.
        pass


def _model_list(ctx, param, value: str | None) -> list[str] | None:
    """``--models a,b``: each name checked against the registry (None: the registry's defaults)."""
    if value is None:
        return None
    from hexops.analytics.risk.errors import RiskInputError
    from hexops.analytics.risk.registry import parse_names

    try:
        return parse_names(value)
    except RiskInputError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


_MODELS_HELP = ("Comma-separated forecasters to compare (default: every default forecaster of "
                "`hexops risk models`); the naive baselines naive_365 and naive_recent are always added.")


def register(root: click.Group) -> None:
    root.add_command(risk)
    root.add_command(patrol)
    load_group.add_command(load_incidents)


def _mapping(time_col, lat_col, lon_col, x_col, y_col, type_col, source_col, id_col, tz):
    from hexops.analytics.risk.events import ColumnMapping

    if (x_col is None) != (y_col is None):
        raise CliError(f"give both --x-col and --y-col ({HONG_KONG.metric_crs}) or neither")
    if x_col is None and (lat_col is None or lon_col is None):
        raise CliError("give --lat-col and --lon-col (WGS84), or --x-col and --y-col (HK1980 Grid)")
    return ColumnMapping(time=time_col, lat=lat_col, lon=lon_col, x=x_col, y=y_col, type=type_col,
                         source=source_col, external_id=id_col, tz=tz)


def _column_options(func):
    options = [
        click.option("--time-col", default="time", show_default=True, help="Column with the date and time."),
        click.option("--lat-col", default=None, help="Latitude column (WGS84, EPSG:4326)."),
        click.option("--lon-col", default=None, help="Longitude column (WGS84, EPSG:4326)."),
        click.option("--x-col", default=None, help="HK1980 Grid easting column (EPSG:2326, m)."),
        click.option("--y-col", default=None, help="HK1980 Grid northing column (EPSG:2326, m)."),
        click.option("--type-col", default=None, help="Incident type column."),
        click.option("--source-col", default=None, help="Column saying 'public' or 'patrol'."),
        click.option("--tz", default=HONG_KONG.time_zone, show_default=True,
                     help="Time zone of times without an offset (and of the dates given)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group()
def risk() -> None:
    """Crime-risk forecasts and their backtests."""


@risk.command()
@click.option("--incidents", "incidents_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
@_column_options
@click.option("--train-until", required=True, help="YYYY-MM-DD: first day forecast (exclusive end of training).")
@click.option("--test-until", required=True, help="YYYY-MM-DD: exclusive end of the test span.")
@click.option("--resolution", default=9, show_default=True, type=click.IntRange(7, 11))
@click.option("--horizon", default="1d", show_default=True, help="shift (8 h), 1d or 7d.")
@click.option("--type", "event_type", default=None, help="Only incidents of this type.")
@click.option("--models", default=None, callback=_model_list, help=_MODELS_HELP)
@click.option("--json", "json_out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="No progress bars.")
def backtest(incidents_file, time_col, lat_col, lon_col, x_col, y_col, type_col, source_col, tz,
             train_until, test_until, resolution, horizon, event_type, models, json_out, quiet) -> None:
    """Rolling-origin backtest of every model on a CSV of incidents (no database needed).

    Prints a table, writes JSON_OUT and a hit-rate plot (PNG) beside it.
    """
    from hexops.analytics.risk.errors import RiskError
    from hexops.services.risk_backtest import backtest_file, format_table, write_report

    mapping = _mapping(time_col, lat_col, lon_col, x_col, y_col, type_col, source_col, None, tz)
    try:
        outcome = backtest_file(
            incidents_file, mapping, train_until=train_until, test_until=test_until, resolution=resolution,
            horizon=horizon, models=models, event_type=event_type, progress=not quiet,
        )
    except RiskError as exc:
        raise CliError(f"{incidents_file}: {exc}") from exc
    if outcome.prepared.problems:
        click.echo(f"{len(outcome.prepared.problems)} row(s) refused, e.g. {outcome.prepared.problems[0]}", err=True)
    png = write_report(outcome, json_out)
    click.echo(format_table(outcome.report))
    click.echo(f"wrote {json_out} and {png}")


@click.group()
def patrol() -> None:
    """Patrol plans built from the risk forecast."""


@click.command("incidents")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_column_options
@click.option("--id-col", default=None, help="Column with the incident's own id (reloads skip known ids).")
@click.option("--strict", is_flag=True, help="Load nothing if any row is refused.")
@click.pass_context
def load_incidents(ctx, file, time_col, lat_col, lon_col, x_col, y_col, type_col, source_col, tz, id_col,
                   strict) -> None:
    """Load incidents from a CSV; refused rows are listed with their reasons and not loaded."""
    from hexops.analytics.risk.errors import RiskError
    from hexops.geodata.errors import GeodataError
    from hexops.services.risk import load_incident_file

    mapping = _mapping(time_col, lat_col or "latitude", lon_col or "longitude", x_col, y_col, type_col,
                       source_col, id_col, tz)
    app_ctx = get_context(ctx)
    try:
        report = load_incident_file(app_ctx.uow(), file, mapping, strict=strict)
    except (RiskError, GeodataError) as exc:
        raise CliError(f"{file}: {exc}" if not str(exc).startswith(str(file)) else str(exc)) from exc
    for problem in report.problems:
        click.echo(f"{file}: {problem}", err=True)
    click.echo(f"{file}: {report.inserted} incident(s) loaded, {report.skipped} already known, "
               f"{len(report.problems)} row(s) refused")


@risk.command()
@click.option("--resolution", default=9, show_default=True, type=click.Choice(["8", "9", "10"]))
@click.option("--horizon", default="1d", show_default=True, type=click.Choice(["shift", "1d", "7d"]))
@click.option("--type", "event_type", default=None, help="Only incidents of this type.")
@click.option("--model", default="auto", show_default=True, type=ForecasterChoice(extra=("auto",)),
              help="auto: the best of the stored backtest, naive baselines included.")
@click.option("--as-of", default=None, help="ISO time to forecast from (default: now or the last incident).")
@click.option("--models", default=None, callback=_model_list, help=_MODELS_HELP)
@click.pass_context
def forecast(ctx, resolution, horizon, event_type, model, as_of, models) -> None:
    """Forecast the next shift, day or week for every hex and store it (with a short backtest)."""
    import pandas as pd

    from hexops.analytics.risk.registry import kind_of, names
    from hexops.services.risk import compute_forecast, forecast_run, forecast_verdict

    when = None
    if as_of:
        when = pd.Timestamp(as_of)
        # A time without an offset is Hong Kong time, as on the dashboard.
        when = when.tz_localize(HONG_KONG.time_zone) if when.tzinfo is None else when
    app_ctx = get_context(ctx)
    run_id = compute_forecast(app_ctx.uow(), resolution=int(resolution), horizon=horizon,
                              event_type=event_type, model=model, as_of=when, now=app_ctx.clock().now(),
                              progress=True, models=models)
    run = forecast_run(app_ctx.uow(), run_id)
    click.echo(f"forecast {run_id}: {run['model']} for {run['window_start']:%Y-%m-%d %H:%M} UTC + {horizon}")
    scores = run["backtest"]["models"]
    for name in sorted(scores, key=lambda n: names().index(n) if n in names() else len(scores)):
        metrics = scores[name]
        skill = metrics.get("skill_pai_5")
        click.echo(f"  backtest {name:<13} PAI@5% {_figure(metrics['pai_5'])}  "
                   f"hit rate@5% {_figure(metrics['hit_rate_5'])}  skill {_figure(skill)}")
    found = forecast_verdict(run)
    if found is not None and found.hit_rate is not None and found.reference_hit_rate is not None:
        click.echo(f"Over the last {found.days:g} days this forecast put {found.hit_rate:.0%} of incidents in "
                   f"the 5% of the area it flagged; counting last year's incidents would have caught "
                   f"{found.reference_hit_rate:.0%}.")
        if not found.any_model_beats_reference:
            in_use = "; the forecast in use is a naive count" if kind_of(run["model"]) == "baseline" else ""
            click.echo(f"No forecasting model beat counting last year's incidents{in_use}.")


def _figure(value) -> str:
    return "  n/a" if value is None else f"{value:5.2f}"


@risk.command("models")
def models_cmd() -> None:
    """The forecasters hexops compares: name, kind and what each does."""
    from hexops.analytics.risk.registry import specs

    for entry in specs():
        default = "" if entry.default or entry.is_baseline else " (not by default)"
        click.echo(f"{entry.name:<13} {entry.kind:<9} {entry.definition}{default}")


@risk.command("audit")
@click.option("--horizon", default="1d", show_default=True, type=click.Choice(["shift", "1d", "7d"]))
@click.option("--days", default=28, show_default=True, help="Span of public reports and patrol plans compared.")
@click.option("--limit", default=1.5, show_default=True, help="Flag districts whose share ratio exceeds this.")
@click.pass_context
def audit_cmd(ctx, horizon, days, limit) -> None:
    """Per district: shares of predicted risk, patrol attention and public reports; flags."""
    from hexops.services.risk import audit_report, latest_forecast

    app_ctx = get_context(ctx)
    run = latest_forecast(app_ctx.uow(), resolution=9, horizon=horizon)
    if run is None:
        raise CliError(f"no {horizon} forecast yet: run `hexops risk forecast --horizon {horizon}`")
    frame = audit_report(app_ctx.uow(), run["run_id"], days=days, limit=limit)
    click.echo(frame.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


@patrol.command("plan")
@click.option("--district", required=True, help="District code.")
@click.option("--units", required=True, type=click.IntRange(1, 500))
@click.option("--shift-start", default=None, help="ISO time (Hong Kong if no offset); default: the forecast's window.")
@click.option("--shift-hours", default=8.0, show_default=True, type=click.FloatRange(1, 12))
@click.option("--revisit-interval", default=90.0, show_default=True, help="Minutes between visits to one hex.")
@click.option("--cap", default=3, show_default=True, help="Visits one hex may get in a shift.")
@click.option("--holdout-share", default=0.1, show_default=True, help="Share of the high-risk pool held out.")
@click.option("--seed", default=None, type=int, help="Seed of the random choices (default: from the shift start).")
@click.option("--created-by", default="cli", show_default=True)
@click.option("--issue", is_flag=True, help="Issue the plan at once (otherwise it is a draft: `hexops patrol issue`).")
@click.pass_context
def plan_cmd(ctx, district, units, shift_start, shift_hours, revisit_interval, cap, holdout_share, seed,
             created_by, issue) -> None:
    """Draft a shift's patrols in a district from the newest forecast (--issue puts it in force)."""
    import pandas as pd

    from hexops.geodata import risk as risk_sql
    from hexops.services.patrol import create_plan, issue_plan, plan_detail

    settings = {"revisit_interval_minutes": revisit_interval, "max_visits_per_hex": cap,
                "holdout_share": holdout_share}
    if seed is not None:
        settings["seed"] = seed
    with get_context(ctx).db.connection() as conn:
        if shift_start is None:
            run = risk_sql.latest_run(conn, 9, "shift", None) or risk_sql.latest_run(conn, 9, "1d", None)
            if run is None:
                raise CliError("no forecast yet: run `hexops risk forecast --horizon shift` first")
            start = pd.Timestamp(run["window_start"])
        else:
            start = pd.Timestamp(shift_start)
            start = start.tz_localize(HONG_KONG.time_zone) if start.tzinfo is None else start
    context = get_context(ctx)
    plan_id = create_plan(context.uow(), district=district, units=units, shift_start=start,
                          shift_hours=shift_hours, created_by=created_by, settings=settings)
    if issue:
        issue_plan(context.uow(), plan_id, actor=created_by, at=context.clock().now())
    detail = plan_detail(context.uow(), plan_id)
    visits, hexes = detail["visits"], detail["hexes"]
    click.echo(f"plan {plan_id} ({detail['plan']['status']}): {units} unit(s), {len(visits)} visits to "
               f"{visits['h3'].nunique()} hexes, "
               f"{int((hexes['role'] == 'holdout').sum())} held out; expected incidents covered "
               f"{detail['plan']['objective']:.2f}")
    click.echo(f"export: /api/v1/patrol/plans/{plan_id}.csv, .geojson, /print")


@patrol.command("effect")
@click.option("--days", default=28, show_default=True,
              help="Plans whose shift started within DAYS days before the newest plan's.")
@click.pass_context
def effect_cmd(ctx, days) -> None:
    """Treated against held-out hexes: public reports over forecast, and reported dosage."""
    import json
    from datetime import timedelta

    from hexops.geodata import risk as risk_sql
    from hexops.services.patrol import effect

    with get_context(ctx).db.connection() as conn:
        newest = risk_sql.recent_plans(conn, 1)
        if not newest:
            raise CliError("no issued patrol plans yet: `hexops patrol plan ... --issue`")
        start = newest[0]["shift_start"]
        plans = risk_sql.plans_between(conn, start - timedelta(days=days), start + timedelta(days=1))
    report = effect(get_context(ctx).uow(), plans)
    click.echo(json.dumps(report, indent=2, default=str))


@patrol.command("issue")
@click.argument("plan_id", type=int)
@click.option("--by", "actor", default="cli", show_default=True, help="Who issues it (recorded).")
@click.pass_context
def issue_cmd(ctx, plan_id: int, actor: str) -> None:
    """Put a drafted plan in force (it then counts in dosage and the bias audit)."""
    from hexops.services.patrol import issue_plan

    context = get_context(ctx)
    plan = issue_plan(context.uow(), plan_id, actor=actor, at=context.clock().now())
    click.echo(f"plan {plan_id} issued by {plan['issued_by']} at {plan['issued_at'].isoformat()}")
