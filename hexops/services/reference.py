"""Loading reference layers (districts, cameras) from files: one transaction each, audited by the caller's actor.

Reading and checking the file is :mod:`hexops.ingest.reference_layers`'
(every problem named, nothing written if any); this service writes a good
file and re-assigns districts, so the map, incidents and rain readings
follow new boundaries at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg

from hexops.geodata import hexgrid
from hexops.geodata.errors import LoadError
from hexops.geodata.reference import camera_rows, district_rows
from hexops.geodata.uow import UnitOfWork
from hexops.ingest.reference_layers import read_features, validate_cameras, validate_districts


@dataclass(frozen=True)
class LoadSummary:
    """What a load wrote: rows loaded, the file's CRS, districts replaced."""

    source: str
    rows: int
    crs: str
    removed: int = 0



def load_districts(uow: UnitOfWork, path: str | Path, *, layer: str | None = None,
                   crs: str | None = None) -> LoadSummary:
    """Replace the districts with a file's and refresh every district assignment.

    Hex cells, cameras, incidents and rain readings take their district from
    the new boundaries; districts absent from the file are removed.  One
    transaction: on any error nothing changes.
    """
    source = str(path)
    frame = read_features(path, layer=layer, crs=crs)
    districts = validate_districts(source, frame)
    try:
        with uow:
            uow.reference.upsert_districts(district_rows(districts))
            removed = uow.reference.delete_districts_except(districts["code"].tolist())
            hexgrid.assign_hex_districts(uow.conn)
            uow.reference.assign_point_districts()
            uow.commit()
    except psycopg.Error as exc:
        raise LoadError(source, [f"database: {exc.diag.message_primary or exc}"]) from exc
    return LoadSummary(source, len(districts), frame.crs.to_string(), removed)


def load_cameras(uow: UnitOfWork, path: str | Path, *, layer: str | None = None,
                 crs: str | None = None) -> LoadSummary:
    """Insert or update cameras from a file (H3 cells and districts computed). One transaction."""
    source = str(path)
    frame = read_features(path, layer=layer, crs=crs)
    try:
        with uow:
            cameras = validate_cameras(source, frame, uow.reference.department_codes())
            uow.reference.upsert_cameras(camera_rows(cameras))
            uow.reference.assign_point_districts(("cameras",))
            uow.commit()
    except psycopg.Error as exc:
        raise LoadError(source, [f"database: {exc.diag.message_primary or exc}"]) from exc
    return LoadSummary(source, len(cameras), frame.crs.to_string())
