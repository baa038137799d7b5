"""``hexops demo`` and ``hexops demo live`` choose the demo city with the same options."""

from __future__ import annotations

from types import SimpleNamespace

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from hexops.cli import build_cli
from hexops.cli import demo as demo_cli
from hexops.settings import Settings


@pytest.mark.parametrize("args", [["demo", "--help"], ["demo", "live", "--help"]])
def test_the_static_demo_and_the_live_replay_both_take_cameras_and_seed(args):
    result = CliRunner().invoke(build_cli(), args)
    assert result.exit_code == 0, result.output
    assert "--cameras" in result.output and "--seed" in result.output


@pytest.mark.parametrize("args", [["demo", "live", "--cameras", "50"], ["demo", "--cameras", "300000", "live"],
                                  ["demo", "--seed", "-1"]])
def test_a_city_size_or_seed_out_of_range_is_refused_naming_the_option(args):
    result = CliRunner().invoke(build_cli(), args)
    assert result.exit_code == 2
    assert "--cameras" in result.output or "--seed" in result.output


def _context(environ: dict[str, str]) -> click.Context:
    return click.Context(demo_cli.demo, obj=SimpleNamespace(settings=Settings.from_env(environ)))


def test_the_options_override_the_settings_city_and_keep_what_they_do_not_name():
    ctx = _context({"HEXOPS_DEMO_CAMERAS": "1000", "HEXOPS_DEMO_SEED": "3"})
    demo_cli.use_city(ctx, 60_000, None)
    assert (ctx.obj.settings.demo_cameras, ctx.obj.settings.demo_seed) == (60_000, 3)
    demo_cli.use_city(ctx, None, 11)
    assert (ctx.obj.settings.demo_cameras, ctx.obj.settings.demo_seed) == (60_000, 11)


def test_without_options_the_city_is_the_settings_default():
    ctx = _context({})
    demo_cli.use_city(ctx, None, None)
    assert (ctx.obj.settings.demo_cameras, ctx.obj.settings.demo_seed) == (5200, 7)


def test_the_shared_metrics_directory_is_the_owners_alone(tmp_path):
    import stat

    from hexops.cli.serve import child_env

    env = child_env("postgresql:///x", tmp_path)
    assert stat.S_IMODE(Path(env["PROMETHEUS_MULTIPROC_DIR"]).stat().st_mode) == 0o700
