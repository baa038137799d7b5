"""``hexops audit verify|checkpoint|seal-unsealed|export``: keep the log honest, export entries as CSV."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from hexops.cli import CliError, get_context
from hexops.times import parse_instant


def register(root: click.Group) -> None:
    root.add_command(audit_group)


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command()
@click.option("--no-checkpoint", is_flag=True, help="Do not record a checkpoint after a clean check.")
@click.pass_context
def verify(ctx: click.Context, no_checkpoint: bool) -> None:
    """Check every row's hash, link and seal, and the checkpoints kept outside the database.

    Exits 1 naming the first problem.  A clean check records a new checkpoint.
    """
    from hexops.services import audit_chain

    app_ctx = get_context(ctx)
    key, checkpoints = app_ctx.audit_key(), audit_chain.checkpoint_file(app_ctx.settings)
    verdict = audit_chain.verify(app_ctx.uow(), key, checkpoints)
    if not verdict.ok:
        raise CliError(f"audit log tampered with: {verdict.problem}; {verdict.chain.rows} rows checked")
    if not no_checkpoint:
        audit_chain.checkpoint(app_ctx.uow(), key, checkpoints, actor="system:audit-verify")
    click.echo(f"{verdict.chain.rows} rows, chain and seals intact, {verdict.checkpoints} checkpoint(s) "
               f"consistent; head hash {verdict.chain.head_hash or '-'}")


@audit_group.command()
@click.option("--every", default=None, help="Repeat at this interval (30s, 1m, 1h) until interrupted.")
@click.pass_context
def checkpoint(ctx: click.Context, every: str | None) -> None:
    """Append the log's head to the checkpoint file (outside the database) and to the log."""
    import signal
    import threading

    from hexops.times import parse_duration
    from hexops.services import audit_chain

    app_ctx = get_context(ctx)
    key, checkpoints = app_ctx.audit_key(), audit_chain.checkpoint_file(app_ctx.settings)
    interval = parse_duration(every, "--every").total_seconds() if every else None
    stop = threading.Event()
    if interval:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    while True:
        entry = audit_chain.checkpoint(app_ctx.uow(), key, checkpoints, actor="system:audit-checkpoint")
        click.echo(f"checkpoint at position {entry.seq} ({entry.row_hash}) in {checkpoints.path}"
                   if entry else "nothing new to checkpoint (empty log, or only the last checkpoint since)")
        if not interval or stop.wait(interval):
            break


@audit_group.command("seal-unsealed")
@click.pass_context
def seal_unsealed(ctx: click.Context) -> None:
    """Seal rows written before audit seals existed (once, when upgrading; trust on first use)."""
    from hexops.services import audit_chain

    app_ctx = get_context(ctx)
    count = audit_chain.seal_unsealed(app_ctx.uow(), app_ctx.audit_key(), actor="cli")
    click.echo(f"sealed {count} row(s); run 'hexops audit verify' now")


def _when(value: str | None, option: str) -> datetime | None:
    return parse_instant(value, option)


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
    lines = csv_lines(get_context(ctx).uow(), actor=actor, action_prefix=action, since=since_at, until=until_at)
    if output is None:
        for line in lines:
            sys.stdout.write(line)
    else:
        with open(output, "w", newline="", encoding="utf-8") as handle:
            for line in lines:
                handle.write(line)
