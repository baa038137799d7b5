"""``hexops serve``: the dashboard, API and background jobs under one supervisor."""

from __future__ import annotations

import importlib
import os
import pkgutil
import shutil
import sys
from pathlib import Path

import click

from hexops.cli import CliError, get_context
from hexops.settings import child_environment


def register(root: click.Group) -> None:
    root.add_command(serve)


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


def child_env(database_url: str, state_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of every supervised child: the database, a fresh metrics directory, ``extra``.

    ``PROMETHEUS_MULTIPROC_DIR`` lets gunicorn's processes (and the ingest
    worker) share their metrics; it is emptied here because files of dead
    processes from an earlier run would be counted again.
    """
    metrics = state_dir / "metrics"
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir(parents=True, exist_ok=True)
    # Request statistics are for admins (/metrics): the files are not for other local users.
    metrics.chmod(0o700)
    return child_environment(HEXOPS_DATABASE_URL=database_url, PROMETHEUS_MULTIPROC_DIR=str(metrics), **extra)


def web_and_workers(host: str, port: int, workers: int, job_workers: int, env: dict[str, str]) -> list:
    """The web server (gunicorn) and ``job_workers`` job workers, as supervisor children."""
    from hexops.jobs.supervisor import Child, port_open

    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which("gunicorn")
    if gunicorn is None:
        raise CliError("gunicorn not found; run 'make venv' or use --dev")
    web = Child("web", [gunicorn, "--workers", str(workers), "--threads", "8", "--timeout", "120",
                        "--bind", f"{host}:{port}", "--chdir", os.path.dirname(os.path.abspath(__file__ + "/../..")),
                        "hexops.bootstrap:server"], env=env,
                ready=port_open(port, "127.0.0.1" if host in ("0.0.0.0", "") else host))
    jobs = [Child(f"worker-{k + 1}", [sys.executable, "-m", "hexops", "worker"], env=env) for k in range(job_workers)]
    return [web, *jobs]


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
    from hexops.jobs.supervisor import Supervisor

    context = get_context(ctx)
    settings = context.settings
    host = host or settings.host
    port = port or settings.port
    # Resolve the database (starting the private cluster) before starting the children.
    url = context.database_url()
    click.echo(f"hexops dashboard on http://{host}:{port}")
    if dev:
        from hexops.bootstrap import create_server

        create_server(context).run(host=host, port=port, threaded=True)
        return
    children = web_and_workers(host, port, workers, job_workers, child_env(url, settings.state_dir))
    code = Supervisor(children, echo=click.echo).run()
    if code:
        raise CliError("the server did not start (see the lines above)")
