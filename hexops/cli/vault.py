"""``hexops vault put|get|hold|rotate-kek``: the encrypted clip vault."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hexops.cli import CliError, get_context
from hexops.times import parse_instant as parse_time

_USER = click.option("--user", "user", envvar="HEXOPS_USER", default=None,
                     help="Who is acting (default: $HEXOPS_USER); their role is checked.")


def register(root: click.Group) -> None:
    root.add_command(vault_group)


@click.group("vault")
def vault_group() -> None:
    """Store raw clips encrypted, return them to authorised users, hold evidence."""


def _run(action):
    from psycopg import Error as DbError

    from hexops.vault.errors import VaultError

    try:
        return action()
    except VaultError as exc:
        raise CliError(str(exc)) from exc
    except DbError as exc:
        raise CliError(f"database: {exc}") from exc


@vault_group.command("put")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--camera", "camera_id", required=True, help="Camera id (must be in the cameras table).")
@click.option("--recorded-at", required=True, help="Start of the clip, ISO-8601 with offset.")
@_USER
@click.pass_context
def put(ctx: click.Context, file: Path, camera_id: str, recorded_at: str, user: str | None) -> None:
    """Encrypt FILE into the vault under the camera's day key; prints the clip id."""
    from hexops.services import vault as svc

    when = parse_time(recorded_at, "--recorded-at")
    app_ctx = get_context(ctx)
    clip_id = _run(lambda: svc.put_clip(app_ctx.uow(), svc.open_vault(app_ctx.settings), file, camera_id=camera_id,
                                        recorded_at=when, user=user))
    click.echo(clip_id)


@vault_group.command("get")
@click.argument("clip_id")
@click.option("--reason", required=True, help="Why you need the footage (recorded in the audit log).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the decrypted clip (appears only once every chunk verified).")
@_USER
@click.pass_context
def get(ctx: click.Context, clip_id: str, reason: str, out: Path, user: str | None) -> None:
    """Decrypt CLIP_ID to --out (mode 0600) for a commander or admin; every attempt is audited."""
    from hexops.services import vault as svc

    app_ctx = get_context(ctx)
    size = _run(lambda: svc.get_clip(app_ctx.uow(), svc.open_vault(app_ctx.settings), clip_id, out, user=user,
                                     reason=reason))
    click.echo(f"wrote {size} bytes to {out}")


@vault_group.command("list")
@click.option("--camera", "camera_id", default=None, help="Only this camera's clips.")
@click.option("--limit", default=50, show_default=True, type=int)
@click.pass_context
def list_clips(ctx: click.Context, camera_id: str | None, limit: int) -> None:
    """List clips (newest first) as JSON lines: id, camera, time, size, hold, expiry."""
    from hexops.services import vault as svc

    for row in _run(lambda: svc.list_clips(get_context(ctx).uow(), camera_id, limit)):
        click.echo(json.dumps(row, default=str))


@vault_group.group("hold")
def hold_group() -> None:
    """Evidence holds: clips kept past retention for a case."""


@hold_group.command("place")
@click.argument("clip_ids", nargs=-1, required=True)
@click.option("--case", "case_id", required=True, help="Case id.")
@click.option("--reason", required=True, help="Why the clips must be kept.")
@click.option("--until", default=None, help="When the hold lapses (ISO-8601 with offset); default: until released.")
@_USER
@click.pass_context
def hold_place(ctx: click.Context, clip_ids: tuple[str, ...], case_id: str, reason: str,
               until: str | None, user: str | None) -> None:
    """Hold CLIP_IDS for a case: they are re-keyed under the hold and survive expiry."""
    from hexops.services import vault as svc

    until_at = parse_time(until, "--until")
    app_ctx = get_context(ctx)
    hold_id = _run(lambda: svc.place_hold(app_ctx.uow(), svc.open_vault(app_ctx.settings), case_id=case_id,
                                          clip_ids=list(clip_ids), user=user, reason=reason, until=until_at))
    click.echo(f"hold {hold_id} placed on {len(clip_ids)} clip(s) for case {case_id}")


@hold_group.command("release")
@click.argument("hold_id", type=int)
@click.option("--reason", required=True, help="Why the hold ends.")
@_USER
@click.pass_context
def hold_release(ctx: click.Context, hold_id: int, reason: str, user: str | None) -> None:
    """Release HOLD_ID: its clips expire on the next retention run if past retention."""
    from hexops.services import vault as svc

    app_ctx = get_context(ctx)
    _run(lambda: svc.release_hold(app_ctx.uow(), svc.open_vault(app_ctx.settings), hold_id, user=user,
                                  reason=reason))
    click.echo(f"hold {hold_id} released")


@hold_group.command("list")
@click.option("--all", "include_released", is_flag=True, help="Include released and lapsed holds.")
@click.pass_context
def hold_list(ctx: click.Context, include_released: bool) -> None:
    """List holds as JSON lines."""
    from hexops.services import vault as svc

    for row in _run(lambda: svc.list_holds(get_context(ctx).uow(), include_released)):
        click.echo(json.dumps(row, default=str))


@vault_group.command("rotate-kek")
@click.option("--new-kek-file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File holding the new KEK (64 hex characters); `--generate` creates it.")
@click.option("--generate", is_flag=True, help="Create --new-kek-file with a fresh random key first.")
@_USER
@click.pass_context
def rotate_kek(ctx: click.Context, new_kek_file: Path, generate: bool, user: str | None) -> None:
    """Re-wrap every data key under a new KEK (clip files are not touched)."""
    from hexops.services import vault as svc
    from hexops.vault.keys import load_kek_file
    from hexops.vault.keys import new_kek_file as make_kek

    if generate:
        _run(lambda: make_kek(new_kek_file))
    app_ctx = get_context(ctx)
    count = _run(lambda: svc.rotate_kek(app_ctx.uow(), svc.open_vault(app_ctx.settings), load_kek_file(new_kek_file),
                                        actor=user or "system:cli"))
    click.echo(f"re-wrapped {count} key(s); now set HEXOPS_VAULT_KEK_FILE={new_kek_file} "
               "and destroy the old KEK")


@vault_group.command("fsck")
@click.option("--delete-orphans", is_flag=True, help="Remove clip files no row points at (older than an hour).")
@_USER
@click.pass_context
def fsck(ctx: click.Context, delete_orphans: bool, user: str | None) -> None:
    """Compare the vault directory with the database: orphan files, rows whose file is gone."""
    from hexops.services import vault as svc

    app_ctx = get_context(ctx)
    report = _run(lambda: svc.fsck(app_ctx.uow(), svc.open_vault(app_ctx.settings), delete_orphans=delete_orphans,
                                   actor=user or "system:cli"))
    click.echo(json.dumps({"orphan_files": [str(p) for p in report.orphans], "removed": report.removed,
                           "clips_without_file": report.missing}, indent=2))
    if report.missing:
        raise CliError(f"{len(report.missing)} clip(s) have no file: footage was lost outside hexops")
