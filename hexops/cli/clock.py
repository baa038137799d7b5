"""``hexops clock show|set|wall``: the product's one clock (a scenario clock for demos and replays)."""

from __future__ import annotations

import click

from hexops.cli import get_context
from hexops.times import parse_instant


def register(root: click.Group) -> None:
    root.add_command(clock_group)


@click.group("clock")
def clock_group() -> None:
    """The one clock every page, job and export uses."""


@clock_group.command("show")
@click.pass_context
def show(ctx: click.Context) -> None:
    """Print the clock's now and what kind of clock it is."""
    clock = get_context(ctx).clock()
    local = clock.now().astimezone(get_context(ctx).city.tz)
    click.echo(f"{local.isoformat(timespec='seconds')} ({clock.label()})")


@clock_group.command("set")
@click.option("--at", "at", required=True, help="Scenario time to start from, ISO-8601 with offset.")
@click.option("--speed", default=1.0, show_default=True, type=float, help="Scenario seconds per wall second.")
@click.option("--stop-at", default=None, help="Scenario time the clock holds at (ISO-8601 with offset).")
@click.pass_context
def set_clock(ctx: click.Context, at: str, speed: float, stop_at: str | None) -> None:
    """Run the product on a scenario clock from AT at SPEED (a demo or a replay)."""
    from hexops.services import clock

    started = clock.set_scenario(get_context(ctx).uow(), parse_instant(at, "--at"), speed=speed,
                                 stop_at=parse_instant(stop_at, "--stop-at"), actor="cli")
    click.echo(f"clock set: {started.now().isoformat(timespec='seconds')} ({started.label()})")


@clock_group.command("wall")
@click.pass_context
def wall(ctx: click.Context) -> None:
    """Back to wall-clock time (production)."""
    from hexops.services import clock

    clock.use_wall_clock(get_context(ctx).uow(), actor="cli")
    click.echo("clock: wall time")
