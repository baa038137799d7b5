"""The ``hexops`` command line.

Each module in this package contributes its commands through a
``register(root: click.Group)`` function; ``build_cli`` discovers them, so
adding a command group never means editing a shared list.
"""

from __future__ import annotations

import importlib
import pkgutil

import click

from hexops.bootstrap import AppContext, build_context
from hexops.errors import HexopsError


class CliError(click.ClickException):
    """A user-facing CLI failure: printed as ``Error: ...`` with exit status 1."""


class HexopsGroup(click.Group):
    """The root group: any :class:`hexops.errors.HexopsError` a command lets through
    is printed as one ``Error: ...`` line naming its field, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except HexopsError as exc:
            raise CliError(str(exc)) from exc


def get_context(ctx: click.Context) -> AppContext:
    """The :class:`hexops.bootstrap.AppContext` for this invocation, built on first use."""
    root = ctx.find_root()
    if root.obj is None:
        root.obj = build_context()
    return root.obj




@click.group("load")
def load_group() -> None:
    """Load reference data from files (GeoJSON, GeoPackage, CSV, ...)."""


def build_cli() -> click.Group:
    """The root command; every ``cli`` module's ``register(root)`` adds to it.

    Modules that add a file loader attach it to :data:`load_group` (as
    ``hexops load <what> FILE``) instead of creating their own group.
    """

    @click.group(cls=HexopsGroup, context_settings={"help_option_names": ["-h", "--help"]})
    def root() -> None:
        """hexops: H3 risk maps, crowd and flood alerts from a city's camera network."""

    root.add_command(load_group)

    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(root)
    return root


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``hexops`` command."""
    build_cli()(args=argv, obj=None, prog_name="hexops")
