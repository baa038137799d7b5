"""``hexops city load|generate``: the demo city into the database or into files."""

from __future__ import annotations

from pathlib import Path

import click

from hexops.cli import get_context


def register(root: click.Group) -> None:
    root.add_command(city)


@click.group()
def city() -> None:
    """The authored demo city (districts, cameras, scenarios)."""


@city.command("load")
@click.option("--full", is_flag=True, help="Detections for the whole 48-hour demo window (several minutes).")
@click.option("--cameras", "n_cameras", type=click.IntRange(100, 200_000), default=None,
              help="Cameras, scenario cameras included (default HEXOPS_DEMO_CAMERAS or 5200).")
@click.option("--seed", type=click.IntRange(0), default=None, help="City seed (default HEXOPS_DEMO_SEED or 7).")
@click.pass_context
def load(ctx: click.Context, full: bool, n_cameras: int | None, seed: int | None) -> None:
    """Load the demo city and its detections (what ``make demo`` does); skips what is there."""
    from hexops.services.democity import load_demo_city

    app_ctx = get_context(ctx)
    settings = app_ctx.settings
    load_demo_city(app_ctx.uow(), click.echo, full=full, show_progress=True,
                   n_cameras=n_cameras or settings.demo_cameras,
                   seed=settings.demo_seed if seed is None else seed)


@city.command("generate")
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--seed", default=7, show_default=True)
@click.option("--cameras", "n_cameras", default=5200, show_default=True, help="Cameras, scenario cameras included.")
def generate(out_dir: str, seed: int, n_cameras: int) -> None:
    """Write the demo city as GeoJSON files (EPSG:4326) into OUT_DIR.

    districts.geojson and cameras.geojson load back with ``hexops load``;
    event_zones, low_lying and rain_gauges are there for inspection.
    """
    from hexops.democity import build_city

    built = build_city(seed=seed, n_cameras=n_cameras)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cameras = built.cameras.drop(columns=["fov"]).copy()
    frames = {"districts": built.districts, "cameras": cameras, "event_zones": built.event_zones,
              "low_lying": built.low_lying, "rain_gauges": built.rain_gauges}
    for name, frame in frames.items():
        path = out / f"{name}.geojson"
        frame.to_file(path, driver="GeoJSON")
        click.echo(f"{path}: {len(frame)} features")
