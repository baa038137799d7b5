"""``hexops load zones|calibration`` and ``hexops crowd calibrate|advance``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from hexops.cli import CliError, get_context, load_group


def register(root: click.Group) -> None:
    root.add_command(crowd)
    load_group.add_command(load_zones)
    load_group.add_command(load_calibration)


def _run(ctx: click.Context, work):
    from hexops.geodata.errors import GeodataError

    try:
        with get_context(ctx).db.connection() as conn:
            return work(conn)
    except GeodataError as exc:
        raise CliError(str(exc)) from exc


@click.command("zones")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def load_zones(ctx: click.Context, file: Path) -> None:
    """Event zones (GeoJSON/GeoPackage polygons: zone_id, name, capacity[, event_name]); EPSG:4326 or 2326."""
    from hexops.services.crowd import load_zones_file

    click.echo(f"loaded {_run(ctx, lambda conn: load_zones_file(conn, file))}")


@click.command("calibration")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def load_calibration(ctx: click.Context, file: Path) -> None:
    """Cameras' visible ground (polygons with camera_id); recomputes the ground shares."""
    from hexops.services.crowd import load_calibration_file

    click.echo(f"loaded {_run(ctx, lambda conn: load_calibration_file(conn, file))}")


@click.group()
def crowd() -> None:
    """Crowd estimates and alerts."""


@crowd.command()
@click.pass_context
def calibrate(ctx: click.Context) -> None:
    """Recompute every camera's share of each crowd hex (res 10) and zone."""
    from hexops.services.crowd import calibrate as run

    click.echo(f"calibrated {_run(ctx, run)}")


@crowd.command()
@click.option("--until", default=None, help="ISO-8601 time with offset; default: the latest detections.")
@click.pass_context
def advance(ctx: click.Context, until: str | None) -> None:
    """Advance the crowd alert machine through the detections (5-minute steps)."""
    from hexops.geodata.crowd import detection_time_range
    from hexops.services.crowd import advance_alerts, alert_settings

    try:
        configured = alert_settings(get_context(ctx).settings)
    except ValueError as exc:
        raise CliError(str(exc)) from exc

    def work(conn):
        end = datetime.fromisoformat(until) if until else detection_time_range(conn)[1]
        if end is None:
            raise CliError("no detections loaded")
        if end.tzinfo is None:
            raise CliError(f"--until {until!r} has no UTC offset")
        return advance_alerts(conn, end, thresholds=configured.thresholds, config=configured.config)

    click.echo(f"crowd alerts {_run(ctx, work)}")
