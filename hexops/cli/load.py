"""``hexops load districts FILE`` and ``hexops load cameras FILE``: reference data from files."""

from __future__ import annotations

import click

from hexops.city import HONG_KONG
from hexops.cli import get_context, load_group

_CRS_HELP = (f"CRS to assume when the file declares none (e.g. {HONG_KONG.metric_crs}); "
             f"CSV x/y default to {HONG_KONG.metric_crs}.")


def register(root: click.Group) -> None:
    load_group.add_command(districts)
    load_group.add_command(cameras)


def _run(ctx: click.Context, loader, path: str, layer: str | None, crs: str | None):
    return loader(get_context(ctx).uow(), path, layer=layer, crs=crs)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--layer", default=None, help="Layer of a multi-layer file (GeoPackage).")
@click.option("--crs", default=None, help=_CRS_HELP)
@click.pass_context
def districts(ctx: click.Context, path: str, layer: str | None, crs: str | None) -> None:
    """Replace the districts with those in PATH (GeoJSON, GeoPackage, ...).

    Needs a code and an English name per district (code/name_en/name_zh, or
    the census files' DC_CODE/DC_ENG/DC_CHIN) and (Multi)Polygon geometry.
    Hex cells, cameras and incidents are re-assigned to the new districts.
    """
    from hexops.services.reference import load_districts

    summary = _run(ctx, load_districts, path, layer, crs)
    click.echo(f"loaded {summary.rows} districts from {summary.source} ({summary.crs}); "
               f"{summary.removed} old district(s) removed; hex cells re-assigned")


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--layer", default=None, help="Layer of a multi-layer file (GeoPackage).")
@click.option("--crs", default=None, help=_CRS_HELP)
@click.pass_context
def cameras(ctx: click.Context, path: str, layer: str | None, crs: str | None) -> None:
    """Add or update cameras from PATH (GeoJSON, GeoPackage or CSV).

    Needs camera_id and owner_code (HKPF, HD, TD, LCSD, ImmD, ...) and a
    point (CSV: lat/lon in EPSG:4326 or x/y in EPSG:2326); optional kind,
    status, and heading_deg + range_m (+ angle_deg, near_m) for the field
    of view.
    """
    from hexops.services.reference import load_cameras

    summary = _run(ctx, load_cameras, path, layer, crs)
    click.echo(f"loaded {summary.rows} cameras from {summary.source} ({summary.crs})")
