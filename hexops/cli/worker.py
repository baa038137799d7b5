"""``hexops worker`` (run the background jobs) and ``hexops jobs status|run``."""

from __future__ import annotations

import logging
import signal
import threading

import click

from hexops.cli import CliError, get_context

# The job runner is imported inside the commands (start-up time: see hexops.cli.crowd).


def register(root: click.Group) -> None:
    root.add_command(worker)
    root.add_command(jobs_group)


@click.command()
@click.option("--job", "names", multiple=True, help="Run only these jobs (repeatable); default: all.")
@click.option("--idle-sleep", default=1.0, show_default=True, type=click.FloatRange(0.05, 60),
              help="Seconds between looks at the schedule when nothing is due.")
@click.pass_context
def worker(ctx: click.Context, names: tuple[str, ...], idle_sleep: float) -> None:
    """Run due background jobs until stopped (SIGTERM or Ctrl-C): alerts, deliveries, partitions."""
    from hexops.jobs.registry import by_name
    from hexops.jobs.runner import work

    unknown = sorted(set(names) - set(by_name()))
    if unknown:
        raise CliError(f"--job: unknown job(s) {', '.join(unknown)}; known: {', '.join(sorted(by_name()))}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    runs = work(get_context(ctx), stop, names=list(names) or None, idle_sleep_s=idle_sleep)
    click.echo(f"worker stopped after {runs} runs")


@click.group("jobs")
def jobs_group() -> None:
    """The background jobs' schedule and last runs."""


@jobs_group.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """Each job's period, last success, lag and failures (stale jobs are marked)."""
    from hexops.services import jobs

    for row in jobs.status(get_context(ctx).uow()):
        mark = "STALE " if row.stale else ""
        last = row.last_success.isoformat(timespec="seconds") if row.last_success else "never"
        click.echo(f"{mark}{row.name}: every {row.period_s:g} s, last success {last}, "
                   f"failures in a row {row.consecutive_failures}" + (f", error: {row.last_error}" if row.last_error else ""))


@jobs_group.command("run")
@click.argument("name")
@click.pass_context
def run_now(ctx: click.Context, name: str) -> None:
    """Run one job now, in this process (recorded like a worker's run)."""
    from hexops.jobs.registry import by_name, register
    from hexops.jobs.runner import run_one, worker_id
    from hexops.services import jobs

    if name not in by_name():
        raise CliError(f"NAME: unknown job {name!r}; known: {', '.join(sorted(by_name()))}")
    context = get_context(ctx)
    register(context.uow())
    jobs.make_due(context.uow(), name)
    outcome = run_one(context, worker_id(), [name])
    if outcome is None:
        raise CliError(f"{name}: another worker is running it now")
    click.echo(f"{name}: {'ok' if outcome.ok else 'FAILED'} in {outcome.seconds:.2f} s {outcome.detail or outcome.error}")
