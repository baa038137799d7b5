"""``hexops risk backtest|forecast``, ``hexops patrol plan`` and ``hexops load incidents``."""

from __future__ import annotations

from pathlib import Path

import click

from cli import CliError, get_context, load_group


def register(root: click.Group) -> None:
    root.add_command(risk)
    root.add_command(patrol)
    load_group.add_command(load_incidents)


def _mapping(time_col, lat_col, lon_col, x_col, y_col, type_col, source_col, id_col, tz):
    from analytics.risk.events import ColumnMapping

    if (x_col is None) != (y_col is None):
        raise CliError("give both --x-col and --y-col (HK1980 Grid, EPSG:2326) or neither")
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
        click.option("--tz", default="Asia/Hong_Kong", show_default=True,
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
@click.option("--models", default="kde,hawkes,gbm", show_default=True, help="Comma-separated model names.")
@click.option("--json", "json_out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="No progress bars.")
def backtest(incidents_file, time_col, lat_col, lon_col, x_col, y_col, type_col, source_col, tz,
             train_until, test_until, resolution, horizon, event_type, models, json_out, quiet) -> None:
    """Rolling-origin backtest of every model on a CSV of incidents (no database needed).

    Prints a table, writes JSON_OUT and a hit-rate plot (PNG) beside it.
    """
    from analytics.risk.errors import RiskError
    from services.risk_backtest import backtest_file, format_table, write_report

    mapping = _mapping(time_col, lat_col, lon_col, x_col, y_col, type_col, source_col, None, tz)
    try:
        outcome = backtest_file(
            incidents_file, mapping, train_until=train_until, test_until=test_until, resolution=resolution,
            horizon=horizon, models=tuple(m.strip() for m in models.split(",") if m.strip()),
            event_type=event_type, progress=not quiet,
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
    from analytics.risk.errors import RiskError
    from geodata.errors import GeodataError
    from services.risk import load_incident_file

    mapping = _mapping(time_col, lat_col or "latitude", lon_col or "longitude", x_col, y_col, type_col,
                       source_col, id_col, tz)
    app_ctx = get_context(ctx)
    try:
        report = load_incident_file(app_ctx, file, mapping, strict=strict)
    except (RiskError, GeodataError) as exc:
        raise CliError(f"{file}: {exc}" if not str(exc).startswith(str(file)) else str(exc)) from exc
    for problem in report.problems:
        click.echo(f"{file}: {problem}", err=True)
    click.echo(f"{file}: {report.inserted} incident(s) loaded, {report.skipped} already known, "
               f"{len(report.problems)} row(s) refused")
