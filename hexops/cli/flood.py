"""``hexops load rainfall|lowlying|crews`` and ``hexops flood advance``."""

from __future__ import annotations

from pathlib import Path

import click

from hexops.cli import get_context, load_group
from hexops.cli.stepping import advance_until

# Services are imported inside the commands (start-up time: see hexops.cli.crowd).


def register(root: click.Group) -> None:
    root.add_command(flood)
    load_group.add_command(load_rainfall)
    load_group.add_command(load_lowlying)
    load_group.add_command(load_crews)


@click.command("rainfall")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def load_rainfall(ctx: click.Context, file: Path) -> None:
    """Rain readings CSV: station_id, observed_at (ISO-8601 with offset), mm_per_h, district_code or lon/lat."""
    from hexops.services.flood import load_rainfall_file

    click.echo(f"loaded {load_rainfall_file(get_context(ctx).uow(), file)} rainfall readings")


@click.command("lowlying")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def load_lowlying(ctx: click.Context, file: Path) -> None:
    """Low-lying and flood-prone places (polygons: place_id, name[, prior, kind]); EPSG:4326 or 2326."""
    from hexops.services.flood import load_low_lying_file

    click.echo(f"loaded {load_low_lying_file(get_context(ctx).uow(), file)} low-lying places")


@click.command("crews")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def load_crews(ctx: click.Context, file: Path) -> None:
    """Drainage crews CSV: crew_id, name, depot_id, depot_name, lon, lat (the depot, EPSG:4326)."""
    from hexops.services.flood import load_crews_file

    click.echo(f"loaded {load_crews_file(get_context(ctx).uow(), file)} crews")


@click.group()
def flood() -> None:
    """Flood states, transitions and crew plans."""


@flood.command()
@click.option("--until", default=None, help="ISO-8601 time with offset; default: the clock's now, "
                                            "or the latest detections if earlier.")
@click.pass_context
def advance(ctx: click.Context, until: str | None) -> None:
    """Advance every hex's flood state machine (5-minute steps) and re-plan crews, as the worker does."""
    from hexops.services.flood import advance_floods

    context = get_context(ctx)
    report = advance_floods(context.uow(), advance_until(context, until))
    click.echo(f"flood states {report.as_dict()}")
