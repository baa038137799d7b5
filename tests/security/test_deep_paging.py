"""Deep paging as a denial of service (issue 10, finding 6).

As found: ``water_states/items?resolution=10&offset=401000&limit=1000`` took
6-14 s (20 s with four in parallel) and ``offset=10000000`` about 10 s, open
to any reader: every page counted and sorted the whole collection.  Now an
offset is bounded, deeper pages follow a keyset cursor, ``numberMatched`` is
counted once per selection (not per page) and remembered, and every
shared-layer query has a statement timeout.
(What a deep page costs is measured by ``make bench-paging``, not timed here.)
"""

from __future__ import annotations

import psycopg
import pytest
import requests

from tests.fixtures.sharing import bearer, make_users, seed

PARTNER = "drainage-partner"


@pytest.mark.parametrize("offset", ["401000", "10000000"])
def test_the_offsets_of_the_attack_are_refused_pointing_at_the_next_link(sharing_world, offset):
    response = requests.get(f"{sharing_world.base_url}/ogcapi/collections/water_states/items",
                            params={"offset": offset, "limit": 1000}, headers=bearer(sharing_world.tokens[PARTNER]),
                            timeout=30)
    assert response.status_code == 400
    assert response.json()["description"] == ("offset: at most 10000; follow the next link (its cursor) to page "
                                              "further")


def test_number_matched_is_counted_once_per_selection_not_once_per_page(db_url, start_live_app, monkeypatch):
    from datetime import datetime, timezone

    from hexops.geodata import sharing as queries

    seed(db_url, datetime.now(timezone.utc))
    tokens = make_users(db_url)
    live = start_live_app(db_url)
    counts = []
    real = queries.matched
    monkeypatch.setattr(queries, "matched", lambda *args: counts.append(1) or real(*args))
    url, pages, matched = live.base_url + "/ogcapi/collections/water_states/items?limit=3", 0, set()
    while url:
        body = requests.get(url, headers=bearer(tokens[PARTNER]), timeout=30).json()
        matched.add(body["numberMatched"])
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        assert url is None or ("cursor=" in url and "offset=" not in url)
        pages += 1
    assert pages == 5 and matched == {13} and len(counts) == 1


def test_a_query_running_past_the_statement_timeout_is_cancelled_answered_503_and_audited(
        db_url, start_live_app, pg_cluster):
    from datetime import datetime, timezone

    from tests.conftest import url_as

    seed(db_url, datetime.now(timezone.utc))
    tokens = make_users(db_url)
    live = start_live_app(db_url, shared_query_timeout_s=0.5)
    # A query that cannot finish: the table is locked by its owner for as long as the requests take.
    with psycopg.connect(url_as(pg_cluster, db_url, "owner")) as blocker:
        blocker.execute("LOCK TABLE detections_hex_5min IN ACCESS EXCLUSIVE MODE")
        for path in ("/ogcapi/collections/water_states/items", "/tiles/water_states/13/6694/3574.mvt"):
            response = requests.get(live.base_url + path, params={"datetime": "2000-01-01T00:00:00Z/.."},
                                    headers=bearer(tokens[PARTNER]), timeout=30)
            assert response.status_code == 503, (path, response.status_code, response.text)
            assert "took longer than 0.5 s" in response.json()["description"]
    with psycopg.connect(db_url) as conn:
        errors = conn.execute("SELECT target, details->>'error' FROM audit_log WHERE action = 'partner.read' "
                              "ORDER BY chain_seq").fetchall()
    assert [e for _, e in errors] == ["timeout", "timeout"]
