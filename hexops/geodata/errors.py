"""The exception tree of geodata/: every error names the file, row and field it is about."""

from __future__ import annotations

from hexops.errors import HexopsError, InputError, UnavailableError


class GeodataError(HexopsError):
    """Base of every error raised by geodata/."""


class ClusterError(GeodataError, UnavailableError):
    """The private PostgreSQL cluster could not be created, started or reached."""


class MigrationError(GeodataError):
    """A migration failed, or an applied migration's file changed since."""


class LoadError(GeodataError, InputError):
    """A file could not be loaded; nothing from it was written.

    Parameters
    ----------
    source : str
        The file (or other source) being loaded.
    problems : list of str
        One line per problem, each naming the row (1-based, as in the file)
        and the field.
    """

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        shown = "\n  ".join(self.problems[:20])
        more = f"\n  ... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{source}: {len(self.problems)} problem(s), nothing loaded:\n  {shown}{more}", field=source)
