"""``hexops users ...``: people and machine accounts, API tokens.

Passwords are read from a prompt (or ``--password-stdin``), never from the
command line where ``ps`` and shell history would keep them.
"""

from __future__ import annotations

import json
import sys

import click

from hexops.cli import CliError, get_context


def register(root: click.Group) -> None:
    root.add_command(users)


@click.group()
def users() -> None:
    """User accounts (commander, event_manager, partner, admin, device) and their API tokens."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["commander", "event_manager", "partner", "admin", "device"]))
@click.option("--department", default=None, help="Department code (required for partner and device).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def add(ctx: click.Context, username: str, role: str, department: str | None, password_stdin: bool) -> None:
    """Create USERNAME with ROLE (devices have no password: give them a token)."""
    from hexops.services import accounts

    password = None
    if role != "device":
        password = sys.stdin.readline().rstrip("\n") if password_stdin else click.prompt(
            "Password", hide_input=True, confirmation_prompt=True)
    try:
        with get_context(ctx).db.connection() as conn:
            accounts.create_user(conn, username, role, password, department, actor="cli")
    except accounts.AccountError as exc:
        raise CliError(f"user {username}: {exc}") from exc
    click.echo(f"created {username} ({role}{', ' + department if department else ''})")


@users.command("list")
@click.pass_context
def list_users(ctx: click.Context) -> None:
    """Print every user as JSON lines (no password hashes)."""
    from hexops.geodata import accounts as q

    with get_context(ctx).db.connection() as conn:
        for row in q.list_users(conn):
            click.echo(json.dumps(row, default=str))


@users.command("token")
@click.argument("username")
@click.option("--name", default="api", show_default=True, help="A label for the token.")
@click.option("--scope", "scopes", multiple=True, help="Scope, repeatable (layers:read, detections:write).")
@click.option("--days", default=90.0, show_default=True, help="Lifetime in days.")
@click.pass_context
def token(ctx: click.Context, username: str, name: str, scopes: tuple[str, ...], days: float) -> None:
    """Issue an API token for USERNAME; it is printed once and only its hash is kept."""
    from hexops.services import accounts

    try:
        with get_context(ctx).db.connection() as conn:
            secret = accounts.issue_token(conn, username, name, list(scopes), days, actor="cli")
    except accounts.AccountError as exc:
        raise CliError(f"token for {username}: {exc}") from exc
    click.echo(secret)


@users.command("disable")
@click.argument("username")
@click.pass_context
def disable(ctx: click.Context, username: str) -> None:
    """Disable USERNAME: its sessions and tokens stop working at once."""
    from hexops.geodata import accounts as q
    from hexops.geodata import audit

    with get_context(ctx).db.connection() as conn:
        if not q.set_disabled(conn, username, True):
            raise CliError(f"user {username}: no such user")
        audit.record(conn, actor="cli", action="user.disable", target=username)
    click.echo(f"disabled {username}")


@users.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@click.pass_context
def passwd(ctx: click.Context, username: str, password_stdin: bool) -> None:
    """Set a new password for USERNAME (also lifts a lock-out)."""
    from hexops.geodata import accounts as q
    from hexops.geodata import audit
    from hexops.services import accounts

    password = sys.stdin.readline().rstrip("\n") if password_stdin else click.prompt(
        "New password", hide_input=True, confirmation_prompt=True)
    try:
        password_hash = accounts.hash_password(password)
    except accounts.AccountError as exc:
        raise CliError(f"user {username}: {exc}") from exc
    with get_context(ctx).db.connection() as conn:
        if not q.set_password_hash(conn, username, password_hash):
            raise CliError(f"user {username}: no such person (devices have no password)")
        audit.record(conn, actor="cli", action="user.password", target=username)
    click.echo(f"password of {username} changed; lock-out lifted")
