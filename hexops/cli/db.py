"""``hexops db up|down|status|migrate``: the private cluster and the schema."""

from __future__ import annotations

import json

import click

from hexops.cli import CliError, get_context


def register(root: click.Group) -> None:
    root.add_command(db)


@click.group()
def db() -> None:
    """Manage the private PostGIS cluster (.hexops/pg) and the schema."""


def _cluster(ctx: click.Context):
    from hexops.geodata.cluster import PrivateCluster

    app_ctx = get_context(ctx)
    if app_ctx.settings.database_url:
        raise CliError(
            "HEXOPS_DATABASE_URL is set: hexops uses that server and does not manage a private cluster"
        )
    return PrivateCluster(app_ctx.settings.cluster_dir)


@db.command()
@click.option("--migrate/--no-migrate", default=True, help="Apply pending migrations after start.")
@click.pass_context
def up(ctx: click.Context, migrate: bool) -> None:
    """Start the private cluster (initialising it the first time) and migrate."""
    from hexops.geodata import migrate as migrations

    _cluster(ctx)  # refuses when HEXOPS_DATABASE_URL names another server
    app_ctx = get_context(ctx)
    url = app_ctx.database_url()
    if migrate:
        applied = app_ctx.migrate(progress=lambda m: click.echo(f"  {m}"))
        click.echo(f"schema at version {migrations.current_version(url)} ({len(applied)} applied now)")
    click.echo(f"database ready: {url}")


@db.command()
@click.pass_context
def down(ctx: click.Context) -> None:
    """Stop the private cluster (its data stays)."""
    _cluster(ctx).stop()
    click.echo("stopped")


@db.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Print the private cluster's state as JSON."""
    click.echo(json.dumps(_cluster(ctx).status(), indent=2))


@db.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Apply pending migrations to the configured database."""
    from hexops.geodata import migrate as migrations

    url = get_context(ctx).database_url()
    applied = get_context(ctx).migrate(progress=lambda m: click.echo(f"  {m}"))
    click.echo(f"schema at version {migrations.current_version(url)} ({len(applied)} applied now)")
