"""``hexops webhooks ...``: partner endpoints for flood alerts, and the delivery worker."""

from __future__ import annotations

import click

from hexops.cli import CliError, get_context


def register(root: click.Group) -> None:
    root.add_command(webhooks_group)


@click.group("webhooks")
def webhooks_group() -> None:
    """Flood-alert webhooks to partner departments."""


@webhooks_group.command("add")
@click.argument("department")
@click.argument("url")
@click.pass_context
def add(ctx: click.Context, department: str, url: str) -> None:
    """Register URL for DEPARTMENT; prints the signing secret once (give it to the partner)."""
    import psycopg

    from hexops.services import webhooks

    try:
        endpoint_id, secret = webhooks.add_endpoint(get_context(ctx).uow(), department, url, actor="cli")
    except psycopg.errors.IntegrityError as exc:
        raise CliError(f"endpoint {department} {url}: {exc.diag.message_primary}") from exc
    click.echo(f"endpoint {endpoint_id}; HMAC secret (shown once): {secret}")


@webhooks_group.command("deliver")
@click.pass_context
def deliver(ctx: click.Context) -> None:
    """Send due deliveries once (the worker's webhooks.deliver job does this every few seconds)."""
    from hexops.services import webhooks

    report = webhooks.deliver_pending(get_context(ctx).uow)
    click.echo(f"delivered {report.delivered}, will retry {report.retried}, gave up {report.failed}")
    for error in report.errors:
        click.echo(f"  {error}")


@webhooks_group.command("disable")
@click.argument("endpoint_id", type=int)
@click.pass_context
def disable(ctx: click.Context, endpoint_id: int) -> None:
    """Stop queueing alerts for an endpoint (pending deliveries still go out)."""
    from hexops.services import webhooks

    webhooks.disable_endpoint(get_context(ctx).uow(), endpoint_id, actor="cli")
    click.echo(f"endpoint {endpoint_id} disabled")
