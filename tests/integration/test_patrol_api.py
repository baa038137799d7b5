"""Patrol plans stored from a forecast, exported, and their visits reported through the API."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import psycopg
import pytest
import requests

from hexops.clock import WALL_CLOCK
from hexops.geodata import risk as risk_sql
from hexops.geodata.h3cells import cell_to_str
from hexops.geodata.uow import UnitOfWork
from hexops.services.patrol import PatrolInputError, PlanStateError, create_plan, effect, issue_plan, report_visit
from hexops.services.risk import compute_forecast, demo_step
from tests.fixtures.auth import create_user, issue_token, login_session


@pytest.fixture(scope="module")
def planned(loaded_small_city_db):
    url = loaded_small_city_db
    compute_forecast(UnitOfWork.for_url(url), horizon="shift", models=("kde", "hawkes"))
    with psycopg.connect(url) as conn:
        run = risk_sql.latest_run(conn, 9, "shift", None)
        district = risk_sql.forecast_rows(conn, run["run_id"]).groupby("district")["expected"].sum().idxmax()
        conn.commit()
    plan_id = create_plan(UnitOfWork.for_url(url), district=district, units=5, shift_start=run["window_start"],
                          created_by="test", settings={"revisit_interval_minutes": 60})
    issue_plan(UnitOfWork.for_url(url), plan_id, actor="test", at=run["window_start"])
    create_user(url, "cmd", "commander")
    create_user(url, "events", "event_manager")
    create_user(url, "unit-handset", "device", department="HKPF")
    return url, plan_id


def test_a_stored_plan_keeps_every_rule(planned):
    url, plan_id = planned
    with psycopg.connect(url) as conn:
        plan = risk_sql.get_plan(conn, plan_id)
        visits = risk_sql.plan_visits(conn, plan_id)
        hexes = risk_sql.plan_hexes(conn, [plan_id])
        n_audit = conn.execute("SELECT count(*) FROM audit_log WHERE action IN ('patrol.draft', 'patrol.issue') "
                               "AND target = %s", (f"plan:{plan_id}",)).fetchone()[0]
    minutes = (visits["planned_end"] - visits["planned_start"]).dt.total_seconds() / 60
    assert minutes.between(12, 16).all()
    assert set(visits["unit"]) <= set(range(5))
    assert (visits["planned_start"] >= plan["shift_start"]).all()
    assert (visits["planned_end"] <= plan["shift_end"]).all()
    held = set(hexes.loc[hexes["role"] == "holdout", "h3"])
    assert held and not held & set(visits["h3"])
    assert visits["h3"].value_counts().max() <= 3
    for _, group in visits.sort_values("planned_start").groupby("h3"):
        gaps = (group["planned_start"].iloc[1:].to_numpy() - group["planned_end"].iloc[:-1].to_numpy())
        assert all(g >= timedelta(minutes=60) for g in gaps)
    assert set(hexes.loc[hexes["role"] == "treated", "h3"]) == set(visits["h3"])
    assert n_audit == 2 and plan["status"] == "issued" and plan["issued_by"] == "test"


def test_the_plan_exports_as_csv_and_geojson_to_commanders_only(planned, start_live_app):
    url, plan_id = planned
    live = start_live_app(url)
    http = login_session(live.base_url, "cmd")
    body = http.get(f"{live.base_url}/api/v1/patrol/plans/{plan_id}.csv", timeout=30)
    assert body.status_code == 200 and body.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.text)))
    with psycopg.connect(url) as conn:
        assert len(rows) == len(risk_sql.plan_visits(conn, plan_id))
    assert all(12 <= int(r["minutes"]) <= 16 for r in rows)
    geo = http.get(f"{live.base_url}/api/v1/patrol/plans/{plan_id}.geojson", timeout=30).json()
    tours = [f for f in geo["features"] if f["properties"]["kind"] == "tour"]
    assert len(tours) == len({r["unit"] for r in rows})
    assert all(t["geometry"]["coordinates"][0] == t["geometry"]["coordinates"][-1] for t in tours)
    assert {f["properties"]["role"] for f in geo["features"] if f["properties"]["kind"] == "hex"} == \
        {"treated", "holdout"}
    assert requests.get(f"{live.base_url}/api/v1/patrol/plans/{plan_id}.csv", timeout=30).status_code == 401
    other = login_session(live.base_url, "events")
    assert other.get(f"{live.base_url}/api/v1/patrol/plans/{plan_id}.csv", timeout=30).status_code == 403


def test_the_printable_plan_names_each_stop_by_place_and_tells_officers_what_to_do_in_plain_words(
        planned, start_live_app):
    url, plan_id = planned
    live = start_live_app(url)
    page = login_session(live.base_url, "cmd").get(f"{live.base_url}/api/v1/patrol/plans/{plan_id}/print", timeout=30)
    assert page.status_code == 200
    with psycopg.connect(url) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM places").fetchall()]
    stops = page.text.count("<tr><td>")
    named = sum(page.text.count(f"<td>{n}") for n in set(names))
    assert stops > 0 and named >= stops, "every stop starts with a gazetteer place"
    assert "What to do" in page.text and "control room" in page.text
    assert "/api/" not in page.text and "POST" not in page.text


def test_units_report_visits_once_each_and_the_dosage_reaches_the_effect_report(planned, start_live_app):
    url, plan_id = planned
    with psycopg.connect(url) as conn:
        first = risk_sql.plan_visits(conn, plan_id).iloc[0]
    live = start_live_app(url)
    http = login_session(live.base_url, "cmd")
    visit = {"unit": int(first["unit"]) + 1, "h3": cell_to_str(int(first["h3"])),
             "started_at": first["planned_start"].isoformat(),
             "ended_at": (first["planned_start"] + timedelta(minutes=14)).isoformat()}
    endpoint = f"{live.base_url}/api/v1/patrol/plans/{plan_id}/visits"
    created = http.post(endpoint, json=visit, timeout=30)
    assert created.status_code == 201 and created.json()["created"] is True
    again = http.post(endpoint, json=visit, timeout=30)
    assert again.status_code == 200 and again.json()["visit_id"] == created.json()["visit_id"]
    bad = http.post(endpoint, json={**visit, "unit": 99}, timeout=30)
    assert bad.status_code == 400 and "unit 99" in bad.json()["error"]
    naive = http.post(endpoint, json={**visit, "started_at": "2026-01-01T10:00:00"}, timeout=30)
    assert naive.status_code == 400 and "started_at" in naive.json()["error"]

    no_scope = issue_token(url, "unit-handset", scopes=["layers:read"], name="a")
    headers = {"Authorization": f"Bearer {no_scope}"}
    assert requests.post(endpoint, json=visit, headers=headers, timeout=30).status_code == 403
    token = issue_token(url, "unit-handset", scopes=["patrol:report"], name="b")
    later = {**visit, "started_at": (first["planned_start"] + timedelta(minutes=100)).isoformat(),
             "ended_at": (first["planned_start"] + timedelta(minutes=113)).isoformat()}
    assert requests.post(endpoint, json=later, headers={"Authorization": f"Bearer {token}"},
                         timeout=30).status_code == 201

    effect = http.get(f"{live.base_url}/api/v1/patrol/effect?plans={plan_id}", timeout=30).json()
    assert effect["treated"]["dosage_min"] == pytest.approx(27.0)
    assert effect["holdout"]["dosage_min"] == 0.0
    assert effect["treated"]["hexes"] > 0 and effect["holdout"]["hexes"] > 0


def test_a_visit_outside_the_plans_area_is_refused(planned):
    url, plan_id = planned
    with psycopg.connect(url) as conn:
        plan = risk_sql.get_plan(conn, plan_id)
    with pytest.raises(PatrolInputError, match="not in plan"):
        report_visit(UnitOfWork.for_url(url), plan_id=plan_id, unit=1, h3=0x89411C0000FFFFF,
                     started_at=plan["shift_start"], ended_at=plan["shift_start"] + timedelta(minutes=15),
                     reported_by="test")


def test_the_demo_step_skips_what_already_exists(planned):
    url, _ = planned

    class Context:
        """What demo_step uses of the AppContext: units of work and the clock."""

        @staticmethod
        def uow():
            return UnitOfWork.for_url(url)

        @staticmethod
        def clock():
            return WALL_CLOCK

    for horizon in ("1d", "7d"):
        compute_forecast(UnitOfWork.for_url(url), horizon=horizon, models=("kde",))
    first: list[str] = []
    demo_step(Context(), first.append)
    with psycopg.connect(url) as conn:
        runs = conn.execute("SELECT count(*) FROM risk_forecast_runs").fetchone()[0]
        types = conn.execute("SELECT count(DISTINCT type) FROM incidents").fetchone()[0]
        per_type = conn.execute("SELECT count(*) FROM risk_forecast_runs WHERE event_type IS NOT NULL").fetchone()[0]
    assert per_type == types
    second: list[str] = []
    demo_step(Context(), second.append)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM risk_forecast_runs").fetchone()[0] == runs
    assert all("skipped" in line for line in second) and len(second) == 3 + types


def test_a_draft_counts_nowhere_until_it_is_issued_and_takes_no_visits(planned, start_live_app):
    url, issued_id = planned
    with psycopg.connect(url) as conn:
        issued = risk_sql.get_plan(conn, issued_id)
        window = (issued["shift_start"] - timedelta(days=1), issued["shift_start"] + timedelta(days=1))
        attention_before = risk_sql.planned_attention(conn, *window).attrs["plans"]
    draft_id = create_plan(UnitOfWork.for_url(url), district=issued["district_code"], units=2,
                           shift_start=issued["shift_start"], created_by="cmd")
    with psycopg.connect(url) as conn:
        draft = risk_sql.get_plan(conn, draft_id)
        assert draft["status"] == "draft" and draft["issued_at"] is None
        assert risk_sql.planned_attention(conn, *window).attrs["plans"] == attention_before
        assert draft_id not in risk_sql.plans_between(conn, *window)
        first = risk_sql.plan_visits(conn, draft_id).iloc[0]
    with pytest.raises(PlanStateError, match="draft"):
        report_visit(UnitOfWork.for_url(url), plan_id=draft_id, unit=1, h3=int(first["h3"]),
                     started_at=first["planned_start"], ended_at=first["planned_start"] + timedelta(minutes=14),
                     reported_by="test")
    assert effect(UnitOfWork.for_url(url), [issued_id, draft_id])["drafts_ignored"] == [draft_id]
    # A second draft for the same district and shift replaces the first.
    again = create_plan(UnitOfWork.for_url(url), district=issued["district_code"], units=3,
                        shift_start=issued["shift_start"], created_by="cmd")
    with psycopg.connect(url) as conn:
        assert risk_sql.get_plan(conn, draft_id) is None and risk_sql.get_plan(conn, again)["units"] == 3

    live = start_live_app(url)
    http = login_session(live.base_url, "cmd")
    issue = http.post(f"{live.base_url}/api/v1/patrol/plans/{again}/issue", timeout=30)
    assert issue.status_code == 200 and issue.json()["issued_by"] == "cmd"
    assert http.post(f"{live.base_url}/api/v1/patrol/plans/{again}/issue", timeout=30).status_code == 409
    assert http.post(f"{live.base_url}/api/v1/patrol/plans/999999/issue", timeout=30).status_code == 404
    assert login_session(live.base_url, "events").post(
        f"{live.base_url}/api/v1/patrol/plans/{again}/issue", timeout=30).status_code == 403
    with psycopg.connect(url) as conn:
        assert risk_sql.planned_attention(conn, *window).attrs["plans"] == attention_before + 1
