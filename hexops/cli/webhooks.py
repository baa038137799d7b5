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
        with get_context(ctx).db.connection() as conn:
            endpoint_id, secret = webhooks.add_endpoint(conn, department, url, actor="cli")
    except psycopg.errors.IntegrityError as exc:
        raise CliError(f"endpoint {department} {url}: {exc.diag.message_primary}") from exc
    click.echo(f"endpoint {endpoint_id}; HMAC secret (shown once): {secret}")


@webhooks_group.command("deliver")
@click.option("--loop", is_flag=True, help="Keep delivering every --interval seconds.")
@click.option("--interval", default=5.0, show_default=True)
@click.pass_context
def deliver(ctx: click.Context, loop: bool, interval: float) -> None:
    """Send due deliveries (retrying failed ones on their backoff schedule)."""
    from hexops.services import webhooks

    db = get_context(ctx).db
    if loop:
        webhooks.run_forever(db, interval)
    report = webhooks.deliver_pending(db)
    click.echo(f"delivered {report.delivered}, will retry {report.retried}, gave up {report.failed}")
    for error in report.errors:
        click.echo(f"  {error}")


@webhooks_group.command("disable")
@click.argument("endpoint_id", type=int)
@click.pass_context
def disable(ctx: click.Context, endpoint_id: int) -> None:
    """Stop queueing alerts for an endpoint (pending deliveries still go out)."""
    from hexops.geodata import audit
    from hexops.geodata import webhooks as q

    with get_context(ctx).db.connection() as conn:
        if not q.set_endpoint_active(conn, endpoint_id, False):
            raise CliError(f"endpoint {endpoint_id}: no such endpoint")
        audit.record(conn, actor="cli", action="webhook.disable", target=str(endpoint_id))
    click.echo(f"endpoint {endpoint_id} disabled")
