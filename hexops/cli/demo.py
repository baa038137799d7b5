"""``hexops demo``: the demo, set up and served; ``hexops demo live``: the demo replayed live.

``hexops demo`` loads everything (both scenario windows, alerts stepped to the
end of the data) and serves it.  ``hexops demo live`` (``make demo``) replays
the detection stream from a chosen moment through NATS JetStream, with every
process under one supervisor (see :mod:`hexops.services.demo_live`).
``demo publish`` and ``demo receiver`` are the replay's own processes,
started by the supervisor.

Both build the demo city of the same size and seed: ``--cameras N`` and
``--seed S`` (on ``demo`` or on ``demo live``; ``make demo CAMERAS=N``), by
default ``HEXOPS_DEMO_CAMERAS`` and ``HEXOPS_DEMO_SEED`` (5,200 cameras, seed
7).  ``hexops demo --cameras 60000`` loads the 2028-size city whole;
``hexops demo live --cameras 60000`` replays it.
"""

from __future__ import annotations

import dataclasses
import secrets
import signal
import sys
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click

from hexops.cli import CliError, get_context
from hexops.cli.ingest import NATS_HELP, nats_servers

DEFAULT_FROM_TEXT = "2026-10-01T19:00+08:00"


def register(root: click.Group) -> None:
    root.add_command(demo)


def city_options(command):
    """``--cameras`` and ``--seed``: the demo city's size and seed, on ``demo`` and ``demo live`` alike."""
    command = click.option("--seed", type=click.IntRange(0), default=None,
                           help="Demo city seed (default HEXOPS_DEMO_SEED or 7).")(command)
    return click.option("--cameras", "n_cameras", type=click.IntRange(100, 200_000), default=None,
                        help="Cameras of the demo city, the 80 scenario cameras included (default "
                             "HEXOPS_DEMO_CAMERAS or 5,200; 60000 for the 2028 network); a smaller city is "
                             "quicker.")(command)


def use_city(ctx: click.Context, n_cameras: int | None, seed: int | None) -> None:
    """Make the settings' demo city (``demo_cameras``, ``demo_seed``) the one the options ask for."""
    if n_cameras is None and seed is None:
        return
    app_ctx = get_context(ctx)
    settings = app_ctx.settings
    app_ctx.settings = dataclasses.replace(
        settings, demo_cameras=settings.demo_cameras if n_cameras is None else n_cameras,
        demo_seed=settings.demo_seed if seed is None else seed)


def _exit_on_sigterm() -> None:
    # The supervisor stops its children with SIGTERM: leave as cleanly as from Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


@click.group(invoke_without_command=True)
@click.option("--no-serve", is_flag=True, help="Prepare everything, then exit.")
@city_options
@click.pass_context
def demo(ctx: click.Context, no_serve: bool, n_cameras: int | None, seed: int | None) -> None:
    """Start the private cluster, migrate, load the demo city and serve the dashboard.

    ``hexops demo live`` replays the scenario live instead (what ``make demo`` runs);
    ``--cameras``/``--seed`` given here apply to it too.
    """
    use_city(ctx, n_cameras, seed)
    if ctx.invoked_subcommand is not None:
        return
    from hexops.cli.serve import demo_steps, serve

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


@demo.command("live")
@click.option("--from", "start_text", default=DEFAULT_FROM_TEXT, show_default=True,
              help="Scenario time the replay starts at (ISO-8601 with offset), 2026-10-01 00:00 to 10-03 00:00 HKT.")
@click.option("--speed", default=10.0, show_default=True, type=float, help="Scenario seconds per wall second.")
@click.option("--history", "history_text", default="2h", show_default=True,
              help="Detections before --from loaded as history (e.g. 30m, 2h, 6h).")
@click.option("--port", default=None, type=int, help="Dashboard port (default HEXOPS_PORT or 8050).")
@click.option("--job-workers", default=2, show_default=True, type=click.IntRange(1, 8),
              help="Background job workers.")
@city_options
@click.option("--no-web", is_flag=True, help="Run everything but the dashboard (a headless replay).")
@click.option("--no-serve", is_flag=True, help="Prepare the replay (rewind, history, clock held at --from), then exit.")
@click.option("--allow-any-database", is_flag=True,
              help="Replay into HEXOPS_DATABASE_URL although it is not the demo's private cluster "
                   "(the replay deletes its detections from --from on and every alert).")
@click.pass_context
def live(ctx: click.Context, start_text: str, speed: float, history_text: str, port: int | None,
         job_workers: int, n_cameras: int | None, seed: int | None, no_web: bool, no_serve: bool,
         allow_any_database: bool) -> None:
    """Replay the demo city's detections live from --from at --speed, through JetStream, with every process supervised.

    The city is the one ``hexops demo`` would load (``--cameras``, ``--seed``, default the settings').
    """
    from hexops.cli.serve import child_env, demo_steps, web_and_workers
    from hexops.geodata.cluster import free_port
    from hexops.geodata.uow import UnitOfWork
    from hexops.jobs.supervisor import Supervisor
    from hexops.services import clock, demo_live
    from hexops.times import parse_duration, parse_instant

    use_city(ctx, n_cameras, seed)
    app_ctx = get_context(ctx)
    settings = app_ctx.settings
    city = (settings.demo_seed, settings.demo_cameras)
    no_history = history_text.strip() in ("0", "0s", "0m", "0h")
    history = timedelta(0) if no_history else parse_duration(history_text, "--history")
    plan = demo_live.plan_replay(parse_instant(start_text, "--from"), speed, history)
    if settings.database_url and not allow_any_database:
        raise CliError("HEXOPS_DATABASE_URL is set: the live demo rewinds the database it runs on (it deletes "
                       "detections from --from on and every alert); pass --allow-any-database if it is a demo database")
    nats_server = _nats_server()
    started = time.monotonic()
    url = app_ctx.database_url()
    click.echo(f"database: {url}")
    app_ctx.migrate(progress=lambda m: click.echo(f"  migration {m}"))
    deleted = demo_live.rewind(app_ctx.uow(), plan, actor="system:demo")
    click.echo(f"rewound to {plan.cut.isoformat()}: {sum(v for k, v in deleted.items() if k.startswith('detections'))} "
               f"detection rows after it removed; alert machines restart at {plan.history_start.isoformat()}")
    # Held at the start while the history loads, so no job or page runs ahead.
    clock.set_scenario(app_ctx.uow(), plan.start, stop_at=plan.start, actor="system:demo")
    for order, label, step in demo_steps():
        click.echo(f"[{order:02d}] {label}")
        if order == 10:
            demo_live.load_history(app_ctx.uow(), plan, click.echo, city=city)
        else:
            step(app_ctx, click.echo)
    click.echo(f"replay ready in {time.monotonic() - started:.1f} s")
    if no_serve:
        click.echo(f"clock held at {plan.start.isoformat()}; run without --no-serve to replay")
        return

    port = port or settings.port
    receiver_port, nats_port = free_port(), free_port()
    receiver_url = f"http://127.0.0.1:{receiver_port}{demo_live.RECEIVER_PATH}"
    replay_id, secret = demo_live.start_replay(app_ctx.uow(), plan, receiver_url, actor="system:demo",
                                               city=city)
    demo_dir = settings.state_dir / "demo"
    secret_file = _write_secret(demo_dir / "receiver.secret", secret)
    # The broker takes a password (an outside probe, as a local user with no
    # account, read and forged detections on an open one); it travels to the
    # children in their environment, never on a command line others can list.
    nats_password = secrets.token_urlsafe(24)
    nats_url = f"nats://{NATS_USER}:{nats_password}@127.0.0.1:{nats_port}"
    nats_conf = nats_config(demo_dir / "nats", nats_port, nats_password)
    # The pool's threads must not be running when the supervisor forks its children.
    app_ctx.close()
    env = child_env(url, settings.state_dir, HEXOPS_NATS_URL=nats_url)
    children = replay_children(nats_server, nats_conf, nats_port, receiver_port, replay_id, secret_file, env)
    served = web_and_workers(settings.host, port, 2, job_workers, env)
    children[2:2] = served[1:] if no_web else served

    def run_clock() -> None:
        demo_live.run_clock(UnitOfWork.for_url(url), plan, actor="system:demo")
        where = "no dashboard (--no-web)" if no_web else (
            f"dashboard on http://{settings.host}:{port} (sign-ins in {settings.state_dir}/demo-credentials.json)")
        click.echo(f"replay {replay_id} running: scenario clock from {plan.start.isoformat()} at x{plan.speed:g}; "
                   f"{where}; Ctrl-C stops everything")

    code = Supervisor(children, echo=click.echo).run(on_ready=run_clock)
    held = demo_live.hold_clock(UnitOfWork.for_url(url), actor="system:demo")
    click.echo(f"replay stopped; clock held at {held.isoformat()}")
    if code:
        raise CliError("the replay did not start (see the lines above)")


def _nats_server() -> str:
    import shutil

    found = shutil.which("nats-server") or next(
        (p for p in ("/usr/sbin/nats-server", "/usr/bin/nats-server") if Path(p).exists()), None)
    if found is None:
        raise CliError("nats-server not found: install the Debian package nats-server "
                       "(scripts/ensure_system_deps.sh does, via make demo)")
    return found


def _write_secret(path: Path, secret: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secret)
    path.chmod(0o600)
    return path


#: The demo broker's one account (the publisher and the ingest worker).
NATS_USER = "hexops"


def nats_config(root: Path, port: int, password: str) -> Path:
    """A private nats-server with JetStream on loopback, answering only ``NATS_USER`` with ``password``.

    Its store starts empty each replay (messages of an earlier replay must not
    arrive in this one); the directory and the file are the owner's alone.
    """
    import shutil

    store = root / "jetstream"
    shutil.rmtree(store, ignore_errors=True)
    store.mkdir(parents=True, exist_ok=True)
    root.chmod(0o700)
    config = root / "nats.conf"
    config.touch(mode=0o600)
    config.chmod(0o600)
    config.write_text(f'server_name: hexops-demo\nlisten: 127.0.0.1:{port}\nlog_file: "{root / "nats.log"}"\n'
                      f'authorization {{ user: "{NATS_USER}", password: "{password}" }}\n'
                      f'jetstream {{ store_dir: "{store}", max_file_store: 2GB, max_memory_store: 64MB }}\n')
    return config


def replay_children(nats_server: str, nats_conf: Path, nats_port: int, receiver_port: int, replay_id: int,
                     secret_file: Path, env: dict[str, str]) -> list:
    """The broker and the receiver first (the web and job workers go in between), then ingest and publisher."""
    from hexops.jobs.supervisor import Child, port_open

    hexops = [sys.executable, "-m", "hexops"]
    return [
        Child("nats", [nats_server, "-c", str(nats_conf)], env=env, ready=port_open(nats_port)),
        Child("receiver", [*hexops, "demo", "receiver", "--replay-id", str(replay_id), "--port", str(receiver_port),
                           "--secret-file", str(secret_file)], env=env, ready=port_open(receiver_port)),
        # Both find the broker (and its password) in HEXOPS_NATS_URL.
        Child("ingest", [*hexops, "ingest", "worker", "--fetch-batch", "64"], env=env),
        Child("publisher", [*hexops, "demo", "publish", "--replay-id", str(replay_id)], env=env),
    ]


@demo.command("publish")
@click.option("--replay-id", required=True, type=int, help="The replay (recorded by 'hexops demo live').")
@click.option("--nats", "nats_urls", default=None, help=NATS_HELP)
@click.pass_context
def publish(ctx: click.Context, replay_id: int, nats_urls: str | None) -> None:
    """The replay's publisher: each 5-minute window on the stream when the scenario clock passes its end."""
    from hexops.services import demo_live

    _exit_on_sigterm()
    servers = nats_servers(ctx, nats_urls)
    windows = demo_live.run_publisher(get_context(ctx), replay_id, servers)
    click.echo(f"publisher: the scenario's end is published ({windows} windows); idle until stopped", err=True)
    # Exiting would make the supervisor restart it; there is nothing left to publish.
    while True:
        time.sleep(3600)


@demo.command("receiver")
@click.option("--replay-id", required=True, type=int)
@click.option("--port", required=True, type=click.IntRange(1, 65535), help="Loopback port to listen on.")
@click.option("--secret-file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The HMAC key the endpoint was registered with.")
@click.pass_context
def receiver(ctx: click.Context, replay_id: int, port: int, secret_file: Path) -> None:
    """The demo partner's webhook endpoint: checks each flood alert's HMAC signature and records it."""
    from hexops.services import demo_live

    context = get_context(ctx)
    secret = secret_file.read_text().strip()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, text: str = "") -> None:
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802  (http.server's naming)
            self._answer(200, "hexops demo receiver\n")

        def do_POST(self):  # noqa: N802
            if self.path != demo_live.RECEIVER_PATH:
                return self._answer(404, "not found\n")
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                return self._answer(411, "Content-Length required\n")
            if not 0 <= length <= demo_live.RECEIVER_MAX_BODY:
                return self._answer(413, "body too large\n")
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            self._answer(demo_live.receive(context.uow(), replay_id, secret, headers, body))

        def log_message(self, *args):
            return

    _exit_on_sigterm()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    click.echo(f"demo receiver on http://127.0.0.1:{port}{demo_live.RECEIVER_PATH}", err=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
