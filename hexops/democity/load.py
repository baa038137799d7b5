"""Load the demo city into PostGIS: districts, hex cells, cameras, incidents, detections.

The loader's whole API (the live replay builds on it):

- :func:`load_city` ``(uow, city, progress=None, *, incidents_from, incidents_to)``
  writes the reference parts, each committed on its own;
- :func:`load_detections` ``(uow, city, start, end, *, window_s, chunk, seed, show_progress)``
  simulates and ingests detections, one transaction per chunk;
- :func:`detection_chunks` ``(city, start, end, *, window_s, chunk, seed)`` yields
  the same simulated events chunk by chunk without writing them (to publish
  them to JetStream instead, say).

Both loaders take a unit of work and own its commits.  Each part (or chunk)
is skipped when it is already there, so loading twice is fast and writes
nothing new.  Detections go through :func:`ingest.core.ingest_events` like
any other source, in chunks of about :data:`CHUNK_EVENTS` events, so memory
stays bounded whatever the number of cameras (60,000 cameras' scenario
evenings are about nine million events).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Callable, Iterator

import pandas as pd
import shapely
from tqdm import tqdm

from hexops.geodata import hexgrid
from hexops.geodata.reference import camera_rows, district_rows, ewkb
from hexops.geodata.h3cells import latlng_to_cells
from hexops.democity import DemoCity, scenarios
from hexops.democity.gazetteer import load_gazetteer
from hexops.democity.incidents import simulate_incidents

Progress = Callable[[str], None]

#: Events simulated and ingested per transaction (about 150 MB of frames at most).
CHUNK_EVENTS = 400_000


def incident_rows(incidents: pd.DataFrame) -> pd.DataFrame:
    """``insert_incidents`` rows of a frame from :func:`simulate_incidents`."""
    lat, lon = incidents["lat"].to_numpy(), incidents["lon"].to_numpy()
    return pd.DataFrame({
        "external_id": incidents["external_id"].to_numpy(),
        "occurred_at": incidents["occurred_at"].to_numpy(),
        "type": incidents["type"].to_numpy(),
        "source": incidents["source"].to_numpy(),
        "geom": ewkb(shapely.points(lon, lat)),
        **{f"h3_r{r}": latlng_to_cells(lat, lon, r) for r in (8, 9, 10)},
    })


@lru_cache(maxsize=2)
def _land_cell_rows(land_wkb: bytes) -> pd.DataFrame:
    # The grid of one outline never changes; tests and reloads reuse it.
    return hexgrid.cell_rows(hexgrid.land_cells(shapely.from_wkb(land_wkb)))


def load_city(uow, city: DemoCity, progress: Progress | None = None, *,
              incidents_from: datetime = scenarios.HISTORY_START,
              incidents_to: datetime = scenarios.HISTORY_END) -> dict[str, int]:
    """Write the city's districts, hex cells (res 8, 9, 10), cameras and incident history.

    Parameters
    ----------
    uow : UnitOfWork
        Each part is committed in it on its own.
    city : DemoCity
    progress : callable, optional
        Called with one line per part.
    incidents_from, incidents_to : datetime
        The incident history's span (default: the year before the demo).

    Returns
    -------
    dict
        Rows written per table (0 for a part that was already loaded).
    """
    say = progress or (lambda _m: None)
    written = {"districts": 0, "hex_cells": 0, "cameras": 0, "incidents": 0}
    with uow:
        counts = uow.reference.table_counts()
        if counts["districts"] == 0:
            written["districts"] = uow.reference.upsert_districts(district_rows(city.districts))
            uow.commit()
            say(f"districts: {written['districts']} written")
        else:
            say(f"districts: {counts['districts']} present, skipped")
        if counts["hex_cells"] == 0:
            rows = _land_cell_rows(shapely.to_wkb(city.land))
            written["hex_cells"] = hexgrid.upsert_hex_cells(uow.conn, rows)
            hexgrid.assign_hex_districts(uow.conn)
            uow.commit()
            say(f"hex cells: {written['hex_cells']} written (res 8/9/10)")
        else:
            say(f"hex cells: {counts['hex_cells']} present, skipped")
        if counts["cameras"] < len(city.cameras):
            written["cameras"] = uow.reference.upsert_cameras(camera_rows(city.cameras))
            uow.reference.assign_point_districts(("cameras",))
            uow.commit()
            say(f"cameras: {written['cameras']} written")
        else:
            say(f"cameras: {counts['cameras']} present, skipped")
        if uow.gazetteer.land_count() == 0:
            written.update(load_gazetteer(uow.conn, city.land))
            uow.commit()
            say(f"gazetteer: {written['places']} places, {written['land']} land polygons written")
        if uow.reference.count_between("incidents", "occurred_at", incidents_from, incidents_to) == 0:
            frame = simulate_incidents(city, incidents_from, incidents_to, seed=city.seed)
            written["incidents"] = uow.reference.insert_incidents(incident_rows(frame))
            uow.reference.assign_point_districts(("incidents",))
            uow.commit()
            say(f"incidents: {written['incidents']} written")
        else:
            say("incidents: history present, skipped")
    return written


def chunk_length(n_cameras: int, window_s: int = 300) -> timedelta:
    """Simulated time per chunk so that a chunk holds about :data:`CHUNK_EVENTS` events (whole windows)."""
    windows = max(1, CHUNK_EVENTS // max(n_cameras, 1))
    return timedelta(seconds=window_s * windows)


def _chunk_bounds(start: datetime, end: datetime, chunk: timedelta) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    bounds = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq=chunk).append(
        pd.DatetimeIndex([pd.Timestamp(end)])).unique()
    return list(zip(bounds[:-1], bounds[1:]))


def detection_chunks(city: DemoCity, start: datetime = scenarios.DEMO_START, end: datetime = scenarios.DEMO_END,
                     *, window_s: int = 300, chunk: timedelta | None = None,
                     seed: int | None = None) -> Iterator[tuple[pd.Timestamp, pd.Timestamp, pd.DataFrame]]:
    """The city's simulated detections over ``[start, end)``, one ``(chunk_start, chunk_end, events)`` at a time.

    Events are in the flat ``hexops.detections/1`` schema
    (:func:`democity.simulator.simulate_detections`); they do not depend on the
    chunking.  ``chunk`` defaults to :func:`chunk_length` for the city's size.
    """
    from hexops.democity.simulator import simulate_detections

    chunk = chunk or chunk_length(len(city.cameras), window_s)
    for a, b in _chunk_bounds(start, end, chunk):
        yield a, b, simulate_detections(city, a, b, window_s=window_s, seed=city.seed if seed is None else seed)


def load_detections(uow, city: DemoCity, start: datetime = scenarios.DEMO_START,
                    end: datetime = scenarios.DEMO_END, *, window_s: int = 300,
                    chunk: timedelta | None = None, seed: int | None = None,
                    show_progress: bool = False) -> int:
    """Simulate and ingest detections for ``[start, end)``, one committed transaction per chunk.

    A chunk whose span already holds camera-minute rows is skipped (chunks
    are committed whole, so a loaded chunk is complete), so a window can be
    loaded in parts and re-run cheaply.  Each chunk is simulated only when
    it is needed (the next one while this one is written): memory follows
    two chunks, not the window.

    Returns
    -------
    int
        Events accepted (0 when everything was already there).
    """
    from hexops.ingest.core import ingest_events
    from hexops.democity.simulator import simulate_detections

    chunk = chunk or chunk_length(len(city.cameras), window_s)
    accepted = 0
    steps = _chunk_bounds(start, end, chunk)
    seed = city.seed if seed is None else seed
    # The next chunk is simulated (NumPy, mostly outside the GIL) while this one is written.
    with uow, ThreadPoolExecutor(max_workers=1, thread_name_prefix="democity-simulate") as pool:
        todo = [(a, b) for a, b in steps if not uow.reference.any_between("detections_camera_minute", "minute", a, b)]
        uow.rollback()
        pending = pool.submit(simulate_detections, city, *todo[0], window_s=window_s, seed=seed) if todo else None
        for k, (a, b) in enumerate(tqdm(todo, desc="detections", unit="chunk", disable=not show_progress)):
            events = pending.result()
            pending = (pool.submit(simulate_detections, city, *todo[k + 1], window_s=window_s, seed=seed)
                       if k + 1 < len(todo) else None)
            # As if each chunk arrived live: its events are judged against the
            # chunk's end, well within the ingest policy's late-event window.
            report = ingest_events(uow.conn, events, source="simulator", now=b.to_pydatetime())
            accepted += report.accepted
            del events
            uow.commit()
    return accepted
