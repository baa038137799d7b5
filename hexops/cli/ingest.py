"""``hexops ingest file|retention|stream|publish|worker``: bringing detections in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from hexops.cli import CliError, get_context


def register(root: click.Group) -> None:
    root.add_command(ingest)


@click.group()
def ingest() -> None:
    """Ingest detection events (schema hexops.detections/1) and manage retention."""


def _parse_age(text: str) -> float:
    """'90s', '45m', '6h', '7d' -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        return float(text[:-1]) * units[text[-1]] if text[-1] in units else float(text)
    except (ValueError, IndexError) as exc:
        raise click.BadParameter(f"{text!r}: expected a number with s, m, h or d") from exc


def _parse_now(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(f"{text!r}: expected an ISO-8601 time") from exc
    if value.tzinfo is None:
        raise click.BadParameter(f"{text!r}: give a UTC offset (e.g. 2026-11-21T12:00:00+00:00)")
    return value


@ingest.command("file")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default=None,
              help="File format (default: from the suffix).")
@click.option("--chunk-rows", type=click.IntRange(1_000, 2_000_000), default=200_000, show_default=True,
              help="Events per transaction; bounds memory.")
@click.option("--max-age", default="6h", show_default=True,
              help="Late-event window: older events are rejected (backfills raise it, e.g. 7d).")
@click.option("--now", "now_text", default=None, help="Reference time for the age checks (ISO-8601).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def file_command(ctx: click.Context, path: Path, fmt: str | None, chunk_rows: int, max_age: str,
                 now_text: str | None, quiet: bool) -> None:
    """Backfill events from a JSON Lines, CSV or Parquet file."""
    from hexops.geodata.db import connect
    from hexops.ingest.errors import IngestError
    from hexops.ingest.file_ingest import ingest_file

    url = get_context(ctx).database_url()
    try:
        with connect(url) as conn:
            report = ingest_file(conn, path, fmt=fmt, chunk_rows=chunk_rows, max_age_s=_parse_age(max_age),
                                 now=_parse_now(now_text), progress=not quiet)
    except IngestError as exc:
        raise CliError(str(exc)) from exc
    click.echo(f"{path}: {report.received} events: {report.accepted} accepted, "
               f"{report.duplicates} duplicate, {report.rejected} rejected")
    if report.rejected:
        counts = ", ".join(f"{field} {n}" for field, n in report.reason_counts().most_common())
        click.echo(f"  rejections by field: {counts}")
        for row, reason in list(report.reasons.items())[:10]:
            click.echo(f"  row {row}: {reason}")
        if report.rejected > 10:
            click.echo(f"  ... {report.rejected - 10} more in the ingest_quarantine table")


@ingest.command("retention")
@click.option("--now", "now_text", default=None, help="Reference time (ISO-8601, default now).")
@click.option("--keep", multiple=True, metavar="TABLE=DAYS",
              help="Change a table's keep_days before sweeping (stored).")
@click.pass_context
def retention_command(ctx: click.Context, now_text: str | None, keep: tuple[str, ...]) -> None:
    """Drop whole day partitions older than each table's keep_days."""
    from hexops.geodata import ingest_retention
    from hexops.geodata.db import connect
    from hexops.ingest.errors import IngestError
    from hexops.ingest.retention import run_retention

    url = get_context(ctx).database_url()
    try:
        with connect(url) as conn:
            for item in keep:
                table, _, days = item.partition("=")
                if not days.isdigit() or int(days) < 1:
                    raise CliError(f"--keep {item!r}: expected TABLE=DAYS with DAYS >= 1")
                try:
                    ingest_retention.set_keep_days(conn, table, int(days))
                except ValueError as exc:
                    raise CliError(f"--keep {item!r}: {exc}") from exc
            dropped = run_retention(conn, now=_parse_now(now_text))
            days = ingest_retention.keep_days(conn)
    except IngestError as exc:
        raise CliError(str(exc)) from exc
    for table, gone in dropped.items():
        shown = ", ".join(d.isoformat() for d in gone) if gone else "nothing"
        click.echo(f"{table} (keep {days[table]} days): dropped {shown}")


#: The broker when neither --nats nor HEXOPS_NATS_URL names one.
DEFAULT_NATS = "nats://127.0.0.1:4222"
NATS_HELP = ("NATS server URL(s), comma-separated (default: HEXOPS_NATS_URL, else " + DEFAULT_NATS + "); "
             "put credentials in HEXOPS_NATS_URL, not here, where other local users can read them")


def _servers(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def nats_servers(ctx: click.Context, given: str | None) -> list[str]:
    """--nats, else the settings' HEXOPS_NATS_URL, else :data:`DEFAULT_NATS`."""
    return _servers(given or get_context(ctx).settings.nats_url or DEFAULT_NATS)


@ingest.command("stream")
@click.option("--nats", "nats_urls", default=None, help=NATS_HELP)
@click.option("--replicas", type=click.IntRange(1, 5), default=1, show_default=True,
              help="Stream replicas (3 on a 3-node JetStream cluster).")
@click.pass_context
def stream_command(ctx: click.Context, nats_urls: str | None, replicas: int) -> None:
    """Create the detections stream (hexops.detections.<owner>.<district>) if missing."""
    import asyncio

    import nats

    from hexops.ingest.stream import ensure_stream

    servers = nats_servers(ctx, nats_urls)

    async def create():
        nc = await nats.connect(servers=servers)
        try:
            return await ensure_stream(nc.jetstream(), replicas=replicas)
        finally:
            await nc.close()

    info = asyncio.run(create())
    click.echo(f"stream {info.config.name}: subjects {info.config.subjects}, replicas {info.config.num_replicas}, "
               f"{info.state.messages} messages waiting")


@ingest.command("publish")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--nats", "nats_urls", default=None, help=NATS_HELP)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default=None)
@click.option("--batch-events", type=click.IntRange(1, 5_000), default=1_000, show_default=True,
              help="Events per published batch (stay under NATS's 1 MB message limit).")
@click.pass_context
def publish_command(ctx: click.Context, path: Path, nats_urls: str | None, fmt: str | None, batch_events: int) -> None:
    """Publish a file's events to the stream as gateway batches, by owner and district."""
    import asyncio

    from hexops.geodata.db import connect
    from hexops.ingest.errors import IngestError
    from hexops.ingest.publish import file_batches
    from hexops.ingest.known_cameras import camera_registry
    from hexops.ingest.stream import publish_batches

    with connect(get_context(ctx).database_url()) as conn:
        registry = camera_registry(conn)
    try:
        n = asyncio.run(publish_batches(nats_servers(ctx, nats_urls), file_batches(path, fmt, registry, batch_events)))
    except IngestError as exc:
        raise CliError(str(exc)) from exc
    click.echo(f"{path}: published {n} batches")


@ingest.command("worker")
@click.option("--nats", "nats_urls", default=None, help=NATS_HELP)
@click.option("--durable", default="hexops-ingest", show_default=True,
              help="Consumer name; workers with the same name share the load.")
@click.option("--subjects", default="hexops.detections.>", show_default=True,
              help="Subject filter(s), comma-separated, e.g. hexops.detections.HKPF.> for one owner's pool, "
                   "or hexops.detections.*.YTM,hexops.detections.*.KC for a worker's districts.")
@click.option("--fetch-batch", type=click.IntRange(1, 1_000), default=64, show_default=True,
              help="Batches per fetch.")
@click.option("--ack-wait", type=click.FloatRange(min=0.5), default=150.0, show_default=True,
              help="Seconds before an unacked batch is redelivered (batches are held at most half of it).")
@click.option("--flush-s", type=click.FloatRange(min=0.1), default=1.0, show_default=True,
              help="Seconds between writes of the cameras' latest held minutes (what pages see live).")
@click.option("--hold-s", type=click.FloatRange(min=0.0), default=75.0, show_default=True,
              help="Longest a batch is held before it is written; 0 writes every fetch at once.")
@click.option("--idle-exit", type=float, default=None, help="Exit after this many idle seconds.")
@click.option("--stats-file", type=click.Path(path_type=Path), default=None,
              help="Append one JSON line per commit (events, latencies): for benchmarks.")
@click.pass_context
def worker_command(ctx: click.Context, nats_urls: str | None, durable: str, subjects: str, fetch_batch: int,
                   ack_wait: float, flush_s: float, hold_s: float, idle_exit: float | None,
                   stats_file: Path | None) -> None:
    """Run an ingest worker: durable JetStream pull consumer, each camera-minute written once, ack after commit."""
    import asyncio

    from hexops.ingest.worker import Worker

    context = get_context(ctx)
    # Events are judged against the product's clock (a demo replay's scenario time).
    worker = Worker(nats_servers(ctx, nats_urls), context.database_url(), durable=durable,
                    subjects=[s.strip() for s in subjects.split(",") if s.strip()],
                    fetch_batch=fetch_batch, ack_wait_s=ack_wait, flush_s=flush_s, hold_s=hold_s,
                    stats_file=stats_file, now=lambda: context.clock().now())
    click.echo(f"worker {durable} on {subjects}: consuming", err=True)
    try:
        stats = asyncio.run(worker.run(idle_exit_s=idle_exit))
    except KeyboardInterrupt:
        stats = worker.stats
    click.echo(f"worker {durable}: {stats.batches} batches in {stats.transactions} transactions; "
               f"{stats.accepted} accepted, {stats.duplicates} duplicate, {stats.rejected} rejected")
