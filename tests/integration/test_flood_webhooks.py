"""A hex that becomes flooded tells the partners granted flood_alerts, in the same transaction."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import psycopg

from hexops.geodata.webhooks import list_deliveries
from hexops.ingest.core import ingest_events
from hexops.geodata.uow import UnitOfWork
from hexops.services.flood import advance_floods
from hexops.services.webhooks import add_endpoint
from tests.fixtures.auth import grant_layers
from tests.fixtures.ingest import NOW, event

WINDOW_START = NOW - dt.timedelta(minutes=10)


def _setup(url: str, flooded_cameras: list[str]) -> None:
    grant_layers(url, "DSD", ["flood_alerts"])
    add_endpoint(UnitOfWork.for_url(url), "DSD", "http://127.0.0.1:9/dsd-hook", actor="test")
    with psycopg.connect(url) as conn:
        events = [event(f"e-{c}", camera_id=c, start=WINDOW_START, seconds=300, water_state="flooded",
                        water_confidence=0.9) for c in flooded_cameras]
        ingest_events(conn, pd.DataFrame(events), source="test", now=NOW)
        conn.commit()


def test_two_cameras_agreeing_flood_their_hex_and_queue_one_partner_alert(cameras_db_url):
    _setup(cameras_db_url, ["CAM-A", "CAM-B"])  # the two share a hex
    counts = advance_floods(UnitOfWork.for_url(cameras_db_url), NOW, start=WINDOW_START - dt.timedelta(minutes=5))
    with psycopg.connect(cameras_db_url) as conn:
        deliveries = list_deliveries(conn)
    again = advance_floods(UnitOfWork.for_url(cameras_db_url), NOW).as_dict()
    assert counts.counts["transitions"] == 1
    assert len(deliveries) == 1 and deliveries[0]["department"] == "DSD"
    assert deliveries[0]["event_id"].startswith("flood-")
    assert again["steps"] == 0


def test_a_lone_flooded_camera_without_rain_is_a_warning_and_tells_no_partner(cameras_db_url):
    _setup(cameras_db_url, ["CAM-C"])
    advance_floods(UnitOfWork.for_url(cameras_db_url), NOW, start=WINDOW_START - dt.timedelta(minutes=5))
    with psycopg.connect(cameras_db_url) as conn:
        states = conn.execute("SELECT state FROM flood_hex_states").fetchall()
        deliveries = list_deliveries(conn)
    assert states == [("warning",)]
    assert deliveries == []
