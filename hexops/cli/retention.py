"""``hexops retention run|worker|status``: crypto-shredding on schedule."""

from __future__ import annotations

import json
import signal
import threading

import click

from hexops.cli import CliError, get_context
from hexops.times import parse_duration, parse_instant as parse_time


def register(root: click.Group) -> None:
    root.add_command(retention_group)


@click.group("retention")
def retention_group() -> None:
    """Destroy expired clip keys, delete files and rows, sign a receipt."""


def _sweep(ctx: click.Context, now) -> None:
    from tqdm import tqdm

    from hexops.services import audit_chain
    from hexops.services import vault as svc
    from hexops.vault.errors import VaultError
    from hexops.vault.keys import load_signing_key

    bars: dict[str, tqdm] = {}

    def progress(step: str, n: int) -> None:
        if step not in bars:
            bars[step] = tqdm(desc="keys destroyed" if step == "keys" else "clips deleted", unit=step)
        bars[step].update(n)

    app_ctx = get_context(ctx)
    try:
        result = svc.run_retention(app_ctx.uow(), svc.open_vault(app_ctx.settings),
                                   load_signing_key(app_ctx.settings), now=now, progress=progress)
    except VaultError as exc:
        raise CliError(str(exc)) from exc
    finally:
        for bar in bars.values():
            bar.close()
    # Each sweep also anchors the audit log outside the database (services.audit_chain).
    audit_chain.checkpoint(app_ctx.uow(), app_ctx.audit_key(), audit_chain.checkpoint_file(app_ctx.settings),
                           actor="system:retention")
    click.echo(json.dumps({"keys_destroyed": result.keys_destroyed, "clips_deleted": result.clips_deleted,
                           "files_already_missing": result.files_missing, "audit_id": result.audit_id,
                           "signature": result.signed["signature"][:32] + "..."}))


@retention_group.command("run")
@click.option("--now", "now", default=None, help="Pretend it is this time (ISO-8601 with offset).")
@click.pass_context
def run(ctx: click.Context, now: str | None) -> None:
    """Run one retention sweep now (or as of --now)."""
    _sweep(ctx, parse_time(now, "--now"))


@retention_group.command("worker")
@click.option("--every", default="1h", show_default=True, help="Interval between sweeps (30s, 15m, 1h, 1d).")
@click.pass_context
def worker(ctx: click.Context, every: str) -> None:
    """Sweep at a fixed interval until interrupted (SIGINT or SIGTERM ends it between sweeps)."""
    interval = parse_duration(every, "--every").total_seconds()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set():
        try:
            _sweep(ctx, None)
        except CliError as exc:
            # A failed sweep is retried next interval; keys not destroyed now are destroyed then.
            click.echo(f"retention sweep failed: {exc.message}", err=True)
        stop.wait(interval)
    click.echo("retention worker stopped")


@retention_group.command("policy")
@click.option("--owner", default=None, help="Department code of camera owners ('*' for the default).")
@click.option("--days", type=int, default=None, help="Days of video to keep for that owner.")
@click.option("--user", envvar="HEXOPS_USER", default=None, help="Who changes it (audited; default HEXOPS_USER).")
@click.pass_context
def policy(ctx: click.Context, owner: str | None, days: int | None, user: str | None) -> None:
    """Show retention per camera owner, or set it with --owner and --days."""
    from hexops.services import vault as svc

    if (owner is None) != (days is None):
        raise CliError("--owner and --days go together")
    if owner is not None:
        svc.set_retention(get_context(ctx).uow(), owner, days, actor=user or "system:cli")
    for code, keep in svc.retention_policy(get_context(ctx).uow()):
        click.echo(f"{code}\t{keep} days")


@retention_group.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """Clips by days to expiry, holds, and the last sweep's receipt (with its signature check)."""
    from hexops.services import vault as svc
    from hexops.vault.keys import load_signing_key

    app_ctx = get_context(ctx)
    st = svc.retention_status(app_ctx.uow(), load_signing_key(app_ctx.settings))
    click.echo(json.dumps({"by_days": st.by_days, "holds": st.holds, "last_sweep": st.last_sweep,
                           "last_sweep_signature_valid": st.last_sweep_verified,
                           "signing_public_key": st.public_key}, default=str, indent=2))
