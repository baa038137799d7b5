"""``hexops users ...``: people and machine accounts, API tokens.

Passwords are read from a prompt (or ``--password-stdin``), never from the
command line where ``ps`` and shell history would keep them.
"""

from __future__ import annotations

import json
import sys

import click

from hexops.cli import CliError, get_context
from hexops.identity import SCOPES


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
        accounts.create_user(get_context(ctx).uow(), username, role, password, department, actor="cli")
    except accounts.AccountError as exc:
        raise CliError(f"user {username}: {exc}") from exc
    click.echo(f"created {username} ({role}{', ' + department if department else ''})")


@users.command("list")
@click.pass_context
def list_users(ctx: click.Context) -> None:
    """Print every user as JSON lines (no password hashes)."""
    from hexops.services import accounts

    for row in accounts.list_users(get_context(ctx).uow()):
        click.echo(json.dumps(row, default=str))


@users.command("token")
@click.argument("username")
@click.option("--name", default="api", show_default=True, help="A label for the token.")
@click.option("--scope", "scopes", multiple=True, help="Scope, repeatable: " + ", ".join(SCOPES) + ".")
@click.option("--days", default=90.0, show_default=True, help="Lifetime in days.")
@click.pass_context
def token(ctx: click.Context, username: str, name: str, scopes: tuple[str, ...], days: float) -> None:
    """Issue an API token for USERNAME; it is printed once and only its hash is kept."""
    from hexops.services import accounts

    try:
        secret = accounts.issue_token(get_context(ctx).uow(), username, name, list(scopes), days, actor="cli")
    except accounts.AccountError as exc:
        raise CliError(f"token for {username}: {exc}") from exc
    click.echo(secret)


@users.command("disable")
@click.argument("username")
@click.pass_context
def disable(ctx: click.Context, username: str) -> None:
    """Disable USERNAME: its sessions and tokens stop working at once."""
    from hexops.services import accounts

    try:
        accounts.disable_user(get_context(ctx).uow(), username, actor="cli")
    except accounts.AccountError as exc:
        raise CliError(f"user {username}: {exc}") from exc
    click.echo(f"disabled {username}")


@users.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@click.pass_context
def passwd(ctx: click.Context, username: str, password_stdin: bool) -> None:
    """Set a new password for USERNAME (also lifts a lock-out)."""
    from hexops.services import accounts

    password = sys.stdin.readline().rstrip("\n") if password_stdin else click.prompt(
        "New password", hide_input=True, confirmation_prompt=True)
    try:
        accounts.set_password(get_context(ctx).uow(), username, password, actor="cli")
    except accounts.AccountError as exc:
        raise CliError(f"user {username}: {exc}") from exc
    click.echo(f"password of {username} changed; lock-out lifted")
