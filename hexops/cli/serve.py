"""``hexops serve`` and ``hexops demo``: run the dashboard and API."""

from __future__ import annotations

import importlib
import os
import pkgutil
import shutil
import sys
import time

import click

from hexops.cli import CliError, get_context


def register(root: click.Group) -> None:
    root.add_command(serve)
    root.add_command(demo)


def demo_steps() -> list[tuple[int, str, object]]:
    """Set-up steps contributed by services modules, in order.

    A module in ``services/`` joins the demo by defining
    ``DEMO_STEP = (order, "what it does")`` and ``demo_step(context, echo)``;
    the step must be idempotent, since ``make demo`` runs it every time.
    """
    from hexops import services

    steps = []
    for module_info in pkgutil.iter_modules(services.__path__):
        module = importlib.import_module(f"hexops.services.{module_info.name}")
        if hasattr(module, "DEMO_STEP") and hasattr(module, "demo_step"):
            order, label = module.DEMO_STEP
            steps.append((order, label, module.demo_step))
    return sorted(steps, key=lambda s: s[0])


@click.command()
@click.option("--host", default=None, help="Listen address (default HEXOPS_HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default HEXOPS_PORT or 8050).")
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes (web).")
@click.option("--job-workers", default=1, show_default=True, type=click.IntRange(0, 16),
              help="Background job workers (alerts, deliveries, partitions); 0 to run none here.")
@click.option("--dev", is_flag=True, help="Use Flask's development server (web only, no supervisor).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int, job_workers: int,
          dev: bool) -> None:
    """Serve the dashboard and API and run the background jobs, under one supervisor."""
    from hexops.jobs.supervisor import Child, Supervisor

    settings = get_context(ctx).settings
    host = host or settings.host
    port = port or settings.port
    # Resolve the database (starting the private cluster) before starting the children.
    os.environ["HEXOPS_DATABASE_URL"] = get_context(ctx).database_url()
    click.echo(f"hexops dashboard on http://{host}:{port}")
    if dev:
        from hexops.bootstrap import create_server

        create_server().run(host=host, port=port, threaded=True)
        return
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which("gunicorn")
    if gunicorn is None:
        raise CliError("gunicorn not found; run 'make venv' or use --dev")
    web = Child("web", [gunicorn, "--workers", str(workers), "--threads", "8", "--timeout", "120",
                        "--bind", f"{host}:{port}", "--chdir", os.path.dirname(os.path.abspath(__file__ + "/../..")),
                        "hexops.bootstrap:server"])
    job_children = [Child(f"worker-{k + 1}", [sys.executable, "-m", "hexops", "worker"]) for k in range(job_workers)]
    Supervisor([web, *job_children], echo=click.echo).run()


@click.command()
@click.option("--no-serve", is_flag=True, help="Prepare everything, then exit.")
@click.pass_context
def demo(ctx: click.Context, no_serve: bool) -> None:
    """Start the private cluster, migrate, load the demo city and serve the dashboard."""
    app_ctx = get_context(ctx)
    started = time.monotonic()
    url = app_ctx.database_url()
    click.echo(f"database: {url}")
    app_ctx.migrate(progress=lambda m: click.echo(f"  migration {m}"))
    for order, label, step in demo_steps():
        click.echo(f"[{order:02d}] {label}")
        step(app_ctx, click.echo)
    click.echo(f"demo ready in {time.monotonic() - started:.1f} s")
    if not no_serve:
        ctx.invoke(serve)
