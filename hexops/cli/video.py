"""``hexops video analyse|reference|models``: video files into detection events."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

from hexops.cli import CliError, get_context
from hexops.times import parse_instant as parse_time


def register(root: click.Group) -> None:
    root.add_command(video_group)


@click.group("video")
def video_group() -> None:
    """Count people and judge the road in video; emit detection events."""


def reference_path(ctx: click.Context, camera_id: str, given: Path | None) -> Path:
    if given is not None:
        return given
    return get_context(ctx).settings.state_dir / "video" / "references" / f"{camera_id}.png"


@video_group.command("analyse")
@click.argument("source")
@click.option("--camera", "camera_id", required=True, help="Camera id (must be in the cameras table).")
@click.option("--start", default=None,
              help="Time of the first frame, ISO-8601 with offset (default: file modified time minus its length).")
@click.option("--rate", default=1.0, show_default=True, type=float, help="Frames analysed per second of video.")
@click.option("--window", "window_s", default=60, show_default=True, type=int, help="Event window, seconds.")
@click.option("--model", "model_name", default=None, help="Registry model name (default: opencv-hog-people).")
@click.option("--reference", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Dry-weather reference image (default: <state>/video/references/<camera>.png).")
@click.option("--dry-run", is_flag=True, help="Print the events as JSON lines instead of ingesting them.")
@click.pass_context
def analyse(ctx: click.Context, source: str, camera_id: str, start: str | None, rate: float, window_s: int,
            model_name: str | None, reference: Path | None, dry_run: bool) -> None:
    """Analyse SOURCE (a video file or rtsp:// URL) for one camera and ingest the events."""
    from tqdm import tqdm

    from hexops.ingest.errors import IngestError
    from hexops.ingest.video.pipeline import analyse_video, build_analyser, ingest_video_events, load_reference
    from hexops.ingest.video.reader import is_stream
    from hexops.detectors.base import ModelError
    from hexops.detectors.registry import DEFAULT_MODEL, Registry, build_detector

    first = parse_time(start, "--start")
    try:
        spec = Registry(models_dir=get_context(ctx).settings.models_dir).load(model_name or DEFAULT_MODEL)
        detector = build_detector(spec)
        ref_file = reference_path(ctx, camera_id, reference)
        ref = load_reference(ref_file)
        if ref is None:
            click.echo(f"no reference image at {ref_file}: water is reported as dry with confidence 0 "
                       f"(make one with `hexops video reference FILE --camera {camera_id}`)", err=True)
        analyser = build_analyser(detector, ref, spec.saturation_count)
        bar = tqdm(desc=f"{camera_id} frames", unit="frame")

        def opened(video) -> None:
            bar.total = video.frame_count
            bar.refresh()

        if first is None and not is_stream(source):
            import cv2

            cap = cv2.VideoCapture(source)
            length = (cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) / (cap.get(cv2.CAP_PROP_FPS) or 25.0)
            cap.release()
            modified = datetime.fromtimestamp(Path(source).stat().st_mtime, timezone.utc)
            first = modified - timedelta(seconds=length)
            click.echo(f"--start not given: assuming the recording began {first.isoformat()}", err=True)
        try:
            events = analyse_video(source, camera_id, analyser, start=first, rate_hz=rate, window_s=window_s,
                                   on_frame=bar.update, on_open=opened)
        finally:
            bar.close()
    except (IngestError, ModelError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    if dry_run:
        for row in events.to_dict("records"):
            click.echo(json.dumps(row, default=str))
        return
    with get_context(ctx).db.connection() as conn:
        report = ingest_video_events(conn, events, source)
    click.echo(f"{source}: {report.received} events, {report.accepted} accepted, "
               f"{report.duplicates} duplicates, {report.rejected} rejected")
    for pos, reason in sorted(report.reasons.items())[:10]:
        click.echo(f"  event {pos + 1}: {reason}", err=True)


@video_group.command("reference")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--camera", "camera_id", required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the PNG (default: <state>/video/references/<camera>.png).")
@click.pass_context
def reference(ctx: click.Context, source: str, camera_id: str, out: Path | None) -> None:
    """Make a camera's dry-weather reference from footage of its empty, dry scene (per-pixel median)."""
    import cv2

    from hexops.ingest.errors import IngestError
    from hexops.ingest.video.pipeline import median_reference

    target = reference_path(ctx, camera_id, out)
    try:
        image = median_reference(source)
    except IngestError as exc:
        raise CliError(str(exc)) from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(target), image):
        raise CliError(f"{target}: could not write the reference image")
    click.echo(f"wrote {target}")


@video_group.command("models")
@click.pass_context
def models(ctx: click.Context) -> None:
    """List the model registry (name, version, licence, whether the file is present)."""
    from hexops.detectors.registry import Registry

    for row in Registry(models_dir=get_context(ctx).settings.models_dir).status():
        click.echo(json.dumps(row))
