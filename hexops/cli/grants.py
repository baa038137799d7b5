"""``hexops grants ...``: which partner department sees which shared layer, until when."""

from __future__ import annotations

import json

import click

from hexops.cli import CliError, get_context
from hexops.times import parse_instant


def register(root: click.Group) -> None:
    root.add_command(grants_group)


@click.group("grants")
def grants_group() -> None:
    """Layer grants to partner departments (audited)."""


@grants_group.command("add")
@click.argument("department")
@click.argument("layer")
@click.option("--until", "until", required=True, help="Expiry, ISO-8601 with offset (2027-03-31T00:00+08:00).")
@click.option("--reason", default=None, help="Agreement or ticket that justifies the grant.")
@click.pass_context
def add(ctx: click.Context, department: str, layer: str, until: str, reason: str | None) -> None:
    """Grant LAYER to DEPARTMENT until --until (replaces an open grant of the same layer)."""
    from hexops.services import grants

    expires = parse_instant(until, "--until")
    try:
        grant_id = grants.grant_layer(get_context(ctx).uow(), department, layer, expires, actor="cli", reason=reason)
    except grants.GrantError as exc:
        raise CliError(f"grant {department}/{layer}: {exc}") from exc
    click.echo(f"grant {grant_id}: {layer} to {department} until {expires.isoformat()}")


@grants_group.command("revoke")
@click.argument("grant_id", type=int)
@click.option("--reason", default=None)
@click.pass_context
def revoke(ctx: click.Context, grant_id: int, reason: str | None) -> None:
    """Revoke an open grant by id."""
    from hexops.services import grants

    grants.revoke_grant(get_context(ctx).uow(), grant_id, actor="cli", reason=reason)
    click.echo(f"revoked grant {grant_id}")


@grants_group.command("list")
@click.option("--all", "include_closed", is_flag=True, help="Include revoked grants.")
@click.pass_context
def list_grants(ctx: click.Context, include_closed: bool) -> None:
    """Print grants as JSON lines, with whether each is live now."""
    from hexops.services import grants

    for row in grants.list_grants(get_context(ctx).uow(), include_closed):
        click.echo(json.dumps(row, default=str))
