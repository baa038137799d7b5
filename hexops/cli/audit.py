"""``hexops audit verify|export``: check the hash chain, export entries as CSV."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from hexops.cli import CliError, get_context


def register(root: click.Group) -> None:
    root.add_command(audit_group)


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command()
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Recompute every row's hash and link; exit 1 at the first broken link."""
    from hexops.geodata import audit

    with get_context(ctx).db.connection() as conn:
        report = audit.verify_chain(conn)
    if not report.ok:
        raise CliError(f"audit chain broken at position {report.first_bad_seq} "
                       f"(audit_id {report.first_bad_audit_id}): {report.problem}; {report.rows} rows checked")
    click.echo(f"{report.rows} rows, chain intact; head hash {report.head_hash or '-'} "
               "(keep a copy elsewhere: deleting the newest rows is only visible against it)")


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CliError(f"{option}: {value!r} is not an ISO-8601 time") from exc
    if parsed.tzinfo is None:
        raise CliError(f"{option}: {value!r} needs a UTC offset (e.g. +08:00 or Z)")
    return parsed


@audit_group.command()
@click.option("--actor", default=None, help="Only this actor.")
@click.option("--action", default=None, help="Only actions starting with this dotted prefix (login, grant.change).")
@click.option("--since", default=None, help="ISO-8601 time with offset, inclusive.")
@click.option("--until", default=None, help="ISO-8601 time with offset, exclusive.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="CSV file (default: standard output).")
@click.pass_context
def export(ctx: click.Context, actor: str | None, action: str | None, since: str | None, until: str | None,
           output: str | None) -> None:
    """Export audit entries as CSV, newest first."""
    from hexops.services.audit_export import csv_lines

    since_at, until_at = _when(since, "--since"), _when(until, "--until")
    with get_context(ctx).db.connection() as conn:
        lines = csv_lines(conn, actor=actor, action_prefix=action, since=since_at, until=until_at)
        if output is None:
            for line in lines:
                sys.stdout.write(line)
        else:
            with open(output, "w", newline="", encoding="utf-8") as handle:
                for line in lines:
                    handle.write(line)
