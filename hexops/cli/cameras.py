"""``hexops cameras list``: print the camera registry."""

from __future__ import annotations

import click

from hexops.cli import get_context


def register(root: click.Group) -> None:
    root.add_command(cameras)


@click.group()
def cameras() -> None:
    """The camera registry."""


@cameras.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Print at most N cameras.")
@click.option("--ids-only", is_flag=True, help="Print only camera ids, one per line.")
@click.pass_context
def list_cameras(ctx: click.Context, limit: int | None, ids_only: bool) -> None:
    """List cameras by id: owner, kind, status, district, position (WGS84) and res-9 hex."""
    import psycopg

    from hexops.geodata import reference
    from hexops.geodata.h3cells import cell_to_str

    with psycopg.connect(get_context(ctx).database_url()) as conn:
        rows = reference.list_cameras(conn, limit)
    if ids_only:
        for row in rows:
            click.echo(row[0])
        return
    click.echo(f"{'camera_id':<16} {'owner':<5} {'kind':<16} {'status':<11} {'district':<8} "
               f"{'lat':>10} {'lon':>11}  h3_r9")
    for cam, owner, kind, status, district, lat, lon, cell in rows:
        click.echo(f"{cam:<16} {owner:<5} {kind:<16} {status:<11} {district or '-':<8} "
                   f"{lat:>10.6f} {lon:>11.6f}  {cell_to_str(cell)}")
    click.echo(f"{len(rows)} camera(s)")
