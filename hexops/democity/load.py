"""Load the demo city into PostGIS: districts, hex cells, cameras, incidents, detections.

Each part is skipped when it is already there, so loading twice is fast and
writes nothing new.  ``load_city`` is one transaction (each part a
savepoint), committed at the end, also on a connection the caller passes;
detections are committed chunk by chunk and go through
:func:`ingest.core.ingest_events` like any other source.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Callable

import pandas as pd
import psycopg
import shapely
from tqdm import tqdm

from hexops.geodata import gazetteer, hexgrid, reference
from hexops.geodata.reference import camera_rows, district_rows, ewkb
from hexops.geodata.h3cells import latlng_to_cells
from hexops.democity import DemoCity, scenarios
from hexops.democity.gazetteer import load_gazetteer
from hexops.democity.incidents import simulate_incidents

Progress = Callable[[str], None]


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


def _connect(conn_or_url):
    if isinstance(conn_or_url, psycopg.Connection):
        return conn_or_url, False
    return psycopg.connect(conn_or_url), True


def load_city(conn_or_url, city: DemoCity, progress: Progress | None = None, *,
              incidents_from: datetime = scenarios.HISTORY_START,
              incidents_to: datetime = scenarios.HISTORY_END) -> dict[str, int]:
    """Write the city's districts, hex cells (res 8, 9, 10), cameras and incident history.

    Parameters
    ----------
    conn_or_url : psycopg.Connection or str
        A connection (each part is committed on it) or a libpq URL.
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
    conn, owned = _connect(conn_or_url)
    written = {"districts": 0, "hex_cells": 0, "cameras": 0, "incidents": 0}
    try:
        counts = reference.table_counts(conn)
        if counts["districts"] == 0:
            with conn.transaction():
                written["districts"] = reference.upsert_districts(conn, district_rows(city.districts))
            say(f"districts: {written['districts']} written")
        else:
            say(f"districts: {counts['districts']} present, skipped")
        if counts["hex_cells"] == 0:
            with conn.transaction():
                rows = _land_cell_rows(shapely.to_wkb(city.land))
                written["hex_cells"] = hexgrid.upsert_hex_cells(conn, rows)
                hexgrid.assign_hex_districts(conn)
            say(f"hex cells: {written['hex_cells']} written (res 8/9/10)")
        else:
            say(f"hex cells: {counts['hex_cells']} present, skipped")
        if counts["cameras"] < len(city.cameras):
            with conn.transaction():
                written["cameras"] = reference.upsert_cameras(conn, camera_rows(city.cameras))
                reference.assign_point_districts(conn, ("cameras",))
            say(f"cameras: {written['cameras']} written")
        else:
            say(f"cameras: {counts['cameras']} present, skipped")
        if gazetteer.land_count(conn) == 0:
            with conn.transaction():
                written.update(load_gazetteer(conn, city.land))
            say(f"gazetteer: {written['places']} places, {written['land']} land polygons written")
        if reference.count_between(conn, "incidents", "occurred_at", incidents_from, incidents_to) == 0:
            frame = simulate_incidents(city, incidents_from, incidents_to, seed=city.seed)
            with conn.transaction():
                written["incidents"] = reference.insert_incidents(conn, incident_rows(frame))
                reference.assign_point_districts(conn, ("incidents",))
            say(f"incidents: {written['incidents']} written")
        else:
            say("incidents: history present, skipped")
        conn.commit()
    finally:
        if owned:
            conn.close()
    return written


def load_detections(conn_or_url, city: DemoCity, start: datetime = scenarios.DEMO_START,
                    end: datetime = scenarios.DEMO_END, *, window_s: int = 300,
                    chunk: timedelta = timedelta(hours=2), seed: int | None = None,
                    show_progress: bool = True) -> int:
    """Simulate and ingest detections for ``[start, end)``, chunk by chunk.

    A chunk whose span already holds camera-minute rows is skipped, so a
    window can be loaded in parts and re-run cheaply.  Each chunk is one
    ingest transaction; the simulator's output does not depend on the
    chunking.

    Returns
    -------
    int
        Events accepted (0 when everything was already there).
    """
    from hexops.ingest.core import ingest_events
    from hexops.democity.simulator import simulate_detections

    conn, owned = _connect(conn_or_url)
    accepted = 0
    try:
        bounds = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq=chunk).append(
            pd.DatetimeIndex([pd.Timestamp(end)])).unique()
        steps = list(zip(bounds[:-1], bounds[1:]))
        for a, b in tqdm(steps, desc="detections", unit="chunk", disable=not show_progress):
            if reference.any_between(conn, "detections_camera_minute", "minute", a, b):
                conn.commit()
                continue
            events = simulate_detections(city, a, b, window_s=window_s, seed=city.seed if seed is None else seed)
            # As if each chunk arrived live: its events are judged against the
            # chunk's end, well within the ingest policy's late-event window.
            report = ingest_events(conn, events, source="simulator", now=b.to_pydatetime())
            accepted += report.accepted
            conn.commit()
    finally:
        if owned:
            conn.close()
    return accepted
