"""Advancing the flood machines in two runs gives the same transitions as the hold times demand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import psycopg

from hexops.geodata import flood as q
from hexops.ingest.core import ingest_events
from hexops.geodata.uow import UnitOfWork
from hexops.services.flood import advance_floods
from tests.fixtures.ingest import NOW, event

T0 = NOW - dt.timedelta(minutes=70)


def test_a_flood_recedes_on_time_even_when_the_run_stops_while_the_water_is_going(cameras_db_url):
    events = []
    for k in range(12):
        state = "flooded" if k < 2 else "dry"
        for cam in ("CAM-A", "CAM-B"):
            events.append(event(f"{cam}-{k}", camera_id=cam, start=T0 + dt.timedelta(minutes=5 * k), seconds=300,
                                water_state=state, water_confidence=0.9))
    with psycopg.connect(cameras_db_url) as conn:
        ingest_events(conn, pd.DataFrame(events), source="test", now=NOW)
        conn.commit()
    advance_floods(UnitOfWork.for_url(cameras_db_url), T0 + dt.timedelta(minutes=20), start=T0 - dt.timedelta(minutes=5))
    advance_floods(UnitOfWork.for_url(cameras_db_url), T0 + dt.timedelta(minutes=65))
    with psycopg.connect(cameras_db_url) as conn:
        moves = q.list_transitions(conn, T0, NOW)
    got = [(int((t - T0).total_seconds() // 60), s) for t, s in zip(moves["at"], moves["to_state"])]
    assert got == [(5, "flooded"), (30, "receding"), (60, "normal")]
