"""Finding 12 of issue 10: malformed input gets a 400 naming it (never a 500); unknown paths 404.

- A NUL byte in a detection event lost the whole batch (a 500 while
  quarantining: PostgreSQL text and jsonb cannot hold U+0000).  Now that
  event alone is rejected naming its field, the batch's valid events are
  kept, and the quarantine stores the bad payload with the NUL made visible.
- Bad values to the map and drainage callbacks gave 500s: now 400 naming
  the input.
- Unknown paths gave 403: now a themed 404 (JSON for the machine interfaces).
"""

from __future__ import annotations

import datetime as dt

import psycopg
import requests

from hexops.ingest.schema import make_batch, nest_event
from tests.fixtures.dash_calls import call_body, server_callbacks
from tests.fixtures.ingest import event


def _callback(world, caller: str, output: str, inputs: dict, state: dict | None = None,
              pattern_items: list | None = None) -> requests.Response:
    callbacks = server_callbacks(requests.get(world.base_url + "/_dash-dependencies", timeout=30).json())
    return world.http(caller).post(world.base_url + "/_dash-update-component", timeout=30,
                                   json=call_body(callbacks[output], inputs, state, pattern_items))


def test_a_nul_byte_rejects_only_its_event_and_the_quarantine_keeps_it_visible(attack_world):
    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(minutes=20)
    events = [
        event("good-1", "CAM0", start, people=7),
        event("nul-camera", "CAM\x001", start),
        event("nul-model", "CAM0", start + dt.timedelta(minutes=1), model_name="yolo\x00crowd"),
        # A count sent as text sends the batch down the per-event path, which keeps each event's raw object.
        event("nul-extra", "CAM1", start, people="many\x00", note="a\x00b", **{"k\x00ey": "v"}),
        event("good-2", "CAM1", start + dt.timedelta(minutes=2), people=3),
        event("nul\x00id", "CAM0", start + dt.timedelta(minutes=3)),
    ]
    response = attack_world.http("device:token").post(
        attack_world.base_url + "/api/v1/detections", json=make_batch([nest_event(e) for e in events], "gw-nul"),
        timeout=30)
    assert response.status_code == 200, response.text[:300]
    results = {r["event_id"]: r for r in response.json()["results"]}
    assert results["good-1"]["status"] == "accepted" and results["good-2"]["status"] == "accepted"
    assert results["nul-camera"]["reason"].startswith("camera_id: must not contain NUL")
    assert results["nul-model"]["reason"].startswith("model_name: must not contain NUL")
    assert results["nul-extra"]["reason"].startswith("people:")
    assert results["nul\x00id"]["reason"].startswith("event_id: must not contain NUL")
    with psycopg.connect(attack_world.db_url) as conn:
        rows = conn.execute("SELECT event_id, camera_id, payload FROM ingest_quarantine "
                            "WHERE source = 'http:sec-gateway' ORDER BY row_number").fetchall()
    by_id = {r[0]: r for r in rows}
    assert set(by_id) == {"nul-camera", "nul-model", "nul-extra", "nul\\u0000id"}
    assert by_id["nul-camera"][1] == "CAM\\u00001"
    assert by_id["nul-extra"][2]["note"] == "a\\u0000b" and by_id["nul-extra"][2]["k\\u0000ey"] == "v"
    # Every value well typed: the columnar fast path, same outcome.
    typed = [event("good-3", "CAM0", start + dt.timedelta(minutes=4)), event("fast-nul", "CAM\x000", start)]
    again = attack_world.http("device:token").post(
        attack_world.base_url + "/api/v1/detections", json=make_batch([nest_event(e) for e in typed], "gw-nul"),
        timeout=30).json()
    assert [r["status"] for r in again["results"]] == ["accepted", "rejected"]


def test_bad_values_to_the_map_callbacks_are_400_naming_the_input(attack_world):
    bad = [
        ({0: "bogus", 1: "3h"}, "map-metric.value"),
        ({0: "people", 1: "1y"}, "map-window-length.value"),
        ({0: "people", 1: "3h", 2: "yesterday"}, "map-end-date.date"),
        ({0: "people", 1: "3h", 3: 99}, "map-end-hour.value"),
        ({0: "people", 1: "3h", 3: "7\x00"}, "map-end-hour.value"),
        ({0: "people", 1: "3h", 4: "not an object"}, "map-hexmap-view.data"),
        ({0: "people", 1: "3h", 4: {"resolution": 1e308}}, "map-hexmap-view.data"),
        ({0: ["people"], 1: "3h"}, "map-metric.value"),
    ]
    for inputs, field in bad:
        response = _callback(attack_world, "commander", "map-hexmap-values.data", inputs)
        assert response.status_code == 400, (inputs, response.status_code, response.text[:200])
        assert response.json()["field"] == field
    for cell in ("zzz", {"a": 1}, "8" * 400, 5):
        response = _callback(attack_world, "commander", "map-cell.children", {0: cell})
        assert response.status_code == 400 and response.json()["field"] == "map-hexmap-selected.data"
    good = _callback(attack_world, "commander", "map-hexmap-values.data", {0: "people", 1: "3h"})
    assert good.status_code == 200


def test_bad_values_to_the_drainage_callback_are_400_naming_the_input(attack_world):
    output = "..drainage-hexmap-values.data...drainage-alerts.children...drainage-rain.children..." \
             "drainage-crews.children...drainage-signal.children...drainage-asof.children.."
    # Inputs: the tick, the time shown (drainage-at.data, an ISO time or None), the acknowledgement
    # counter; state: the ticked alerts (lists of alert ids).
    for inputs, state, field in (({1: "garbage"}, {}, "drainage-at.data"),
                                 ({1: ["2026-01-01T00:00+08:00"]}, {}, "drainage-at.data"),
                                 ({1: "9" * 400}, {}, "drainage-at.data"),
                                 # An outside probe's 500s: converting to UTC or stepping back 6 hours overflowed.
                                 ({1: "9999-12-31T23:59:59-14:00"}, {}, "drainage-at.data"),
                                 ({1: "0001-01-01T00:00:00+00:00"}, {}, "drainage-at.data"),
                                 ({1: None}, {0: "not a list"}, "drainage-ack-select.value"),
                                 ({1: None}, {0: ["x"]}, "drainage-ack-select.value"),
                                 ({1: None}, {0: [10**30]}, "drainage-ack-select.value")):
        response = _callback(attack_world, "partner", output, inputs, state, pattern_items=[7])
        assert response.status_code == 400, (inputs, state, response.status_code, response.text[:200])
        assert response.json()["field"] == field
    good = _callback(attack_world, "partner", output, {1: "2026-01-01T00:00+08:00"}, {0: [7]}, pattern_items=[7])
    assert good.status_code == 200


def test_an_unknown_path_is_a_themed_404_page_or_a_json_404(attack_world):
    page = requests.get(attack_world.base_url + "/no-such-page", timeout=30)
    assert page.status_code == 404 and 'id="error-404"' in page.text and "/assets/hexops.css" in page.text
    api = requests.get(attack_world.base_url + "/api/v1/no-such-route", timeout=30)
    assert api.status_code == 404 and api.json()["error"]
    for path in ("/ADMIN", "//no-such", "/admin/nope", "/%00", "/a\x7fb"):
        assert requests.get(attack_world.base_url + path, timeout=30).status_code == 404, path


def test_a_forbidden_page_is_a_themed_403(attack_world):
    page = attack_world.http("partner").get(attack_world.base_url + "/admin", timeout=30)
    assert page.status_code == 403 and 'id="error-403"' in page.text
    assert "sec-partner (partner)" in page.text


def test_a_bare_json_value_as_a_batch_is_a_400_not_a_crash_of_the_server(attack_world):
    import subprocess
    import sys

    # pyarrow 26's JSON reader dies with SIGSEGV on a bare null: checked in a child process first, so
    # that a regression fails this test instead of killing the test run.
    probe = "from hexops.ingest.schema import parse_batch, parse_many\n" \
            "for body in (b'null', b' null', b'1', b'[]', b'\"x\"', b'true'):\n" \
            "    parse_many([body])\n" \
            "    try:\n        parse_batch(body)\n    except ValueError:\n        pass\n"
    child = subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=120)
    assert child.returncode == 0, (child.returncode, child.stderr[-500:])
    for body in (b"null", b"1", b"[]", b'"x"'):
        response = attack_world.http("device:token").post(attack_world.base_url + "/api/v1/detections", data=body,
                                                           headers={"Content-Type": "application/json"}, timeout=30)
        assert response.status_code == 400 and response.json()["field"] == "batch", body


def test_the_second_outside_probes_malformed_requests_are_400_or_404(attack_world):
    """Found by a probe of main in December 2026: each was a 500."""
    deep = b"[" * 100_000 + b"]" * 100_000
    callback = attack_world.http("guest").post(attack_world.base_url + "/_dash-update-component", data=deep,
                                               headers={"Content-Type": "application/json"}, timeout=30)
    assert callback.status_code == 400 and callback.json()["field"] == "body"
    script = attack_world.http("guest").get(
        attack_world.base_url + "/_dash-component-suites/dash/..%2f..%2f..%2fsettings.py", timeout=30)
    assert script.status_code == 404
    for end in ("0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59-14:00"):
        rain = attack_world.http("admin:token").get(attack_world.base_url + "/api/v1/rainfall",
                                                    params={"end": end}, timeout=30)
        assert rain.status_code == 400, (end, rain.status_code, rain.text[:200])
        assert rain.json()["error"].startswith("end: ")


def test_a_partner_reading_the_flood_history_moment_by_moment_is_on_record(attack_world):
    """An outside probe read five past moments through the Drainage page's refresh: 0 audit rows."""
    output = "..drainage-hexmap-values.data...drainage-alerts.children...drainage-rain.children..." \
             "drainage-crews.children...drainage-signal.children...drainage-asof.children.."
    moments = [f"2026-01-0{d}T12:00+08:00" for d in range(1, 6)]

    def rows() -> list:
        with psycopg.connect(attack_world.db_url) as conn:
            return conn.execute("SELECT details->>'at' FROM audit_log WHERE actor = 'sec-partner' "
                                "AND action = 'partner.read' AND target = 'page:/drainage'").fetchall()

    before = len(rows())
    for at in moments + moments[:2]:  # the same moment again within the minute is one row
        assert _callback(attack_world, "partner", output, {1: at}, {0: []}).status_code == 200
    recorded = [r[0] for r in rows()[before:]]
    # Each moment once; a repeat adds a row only if the clock's minute turned in between.
    assert set(recorded) == set(moments) and len(recorded) <= len(moments) + 2
