"""``hexops load zones|calibration`` and ``hexops crowd calibrate|advance``."""

from __future__ import annotations

from pathlib import Path

import click

from hexops.cli import get_context, load_group
from hexops.cli.stepping import advance_until

# Services are imported inside the commands: importing them all costs ~2 s
# of start-up (pandas, geopandas, scikit-learn) against 0.2 s for the CLI alone.


def register(root: click.Group) -> None:
    root.add_command(crowd)
    load_group.add_command(load_zones)
    load_group.add_command(load_calibration)


@click.command("zones")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def load_zones(ctx: click.Context, file: Path) -> None:
    """Event zones (GeoJSON/GeoPackage polygons: zone_id, name, capacity[, event_name]); EPSG:4326 or 2326."""
    from hexops.services.crowd_zones import load_zones_file

    click.echo(f"loaded {load_zones_file(get_context(ctx).uow(), file)}")


@click.command("calibration")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def load_calibration(ctx: click.Context, file: Path) -> None:
    """Cameras' visible ground (polygons with camera_id); recomputes the ground shares."""
    from hexops.services.crowd_zones import load_calibration_file

    click.echo(f"loaded {load_calibration_file(get_context(ctx).uow(), file)}")


@click.group()
def crowd() -> None:
    """Crowd estimates and alerts."""


@crowd.command()
@click.pass_context
def calibrate(ctx: click.Context) -> None:
    """Recompute every camera's share of each crowd hex (res 10) and zone."""
    from hexops.services.crowd import calibrate as run

    click.echo(f"calibrated {run(get_context(ctx).uow())}")


@crowd.command()
@click.option("--until", default=None, help="ISO-8601 time with offset; default: the clock's now, "
                                            "or the latest detections if earlier.")
@click.pass_context
def advance(ctx: click.Context, until: str | None) -> None:
    """Advance the crowd alert machine through the detections (5-minute steps), as the worker does."""
    from hexops.services.crowd import alert_settings
    from hexops.services.crowd_alerts import advance_alerts

    context = get_context(ctx)
    configured = alert_settings(context.settings)
    end = advance_until(context, until)
    report = advance_alerts(context.uow(), end, thresholds=configured.thresholds, config=configured.config)
    click.echo(f"crowd alerts {report.as_dict()}")
