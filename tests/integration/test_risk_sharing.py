"""The crime-risk forecast as a shared collection: commanders read it, ungranted partners cannot."""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import psycopg
import requests

from hexops.geodata import risk
from hexops.geodata.h3cells import cell_to_str, latlng_to_cells
from tests.fixtures.auth import create_user, issue_token
from tests.fixtures.sharing import _insert_cell, bearer


def test_a_commander_reads_each_hexagons_expected_count_and_rank_from_the_crime_risk_collection(
    db_url, start_live_app
):
    cells = [int(c) for c in latlng_to_cells([22.300, 22.310], [114.170, 114.180], 9)]
    with psycopg.connect(db_url) as conn:
        for cell in cells:
            _insert_cell(conn, cell)
        run_id = risk.save_forecast(
            conn, model="kde", horizon="1d", resolution=9, event_type=None,
            window_start=datetime(2026, 10, 1, tzinfo=timezone.utc),
            window_end=datetime(2026, 10, 2, tzinfo=timezone.utc), backtest={}, params={},
            rows=pd.DataFrame({"h3": cells, "expected": [0.75, 0.25], "rank": [1, 2],
                               "contributions": [{}, {}]}),
        )
    create_user(db_url, "cmd", "commander")
    create_user(db_url, "dsd", "partner", department="DSD")
    live = start_live_app(db_url)

    def items(user: str) -> requests.Response:
        token = issue_token(db_url, user)
        return requests.get(live.base_url + "/ogcapi/collections/crime_risk/items",
                            headers=bearer(token), timeout=30)

    features = items("cmd").json()["features"]
    by_cell = {f["properties"]["h3"]: f["properties"] for f in features}
    assert by_cell[cell_to_str(cells[0])]["expected"] == 0.75
    assert by_cell[cell_to_str(cells[0])]["rank"] == 1 and by_cell[cell_to_str(cells[1])]["rank"] == 2
    assert {f["properties"]["run_id"] for f in features} == {run_id}
    assert items("dsd").status_code == 403
