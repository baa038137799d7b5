"""The ``hexops`` command line.

Each module in this package contributes its commands through a
``register(root: click.Group)`` function; ``build_cli`` discovers them, so
adding a command group never means editing a shared list.
"""

from __future__ import annotations

import importlib
import pkgutil

import click


class CliError(click.ClickException):
    """A user-facing CLI failure: printed as ``Error: ...`` with exit status 1."""


def get_context(ctx: click.Context):
    """The :class:`app.AppContext` for this invocation, built on first use."""
    root = ctx.find_root()
    if root.obj is None:
        from hexops.bootstrap import build_context

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

    @click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
