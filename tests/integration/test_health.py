"""``/healthz``, ``/readyz`` and ``/metrics`` answer, and refuse whom they should."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
import requests

from hexops.bootstrap import AppContext, create_server
from hexops.geodata.cluster import free_port
from hexops.geodata.uow import UnitOfWork
from hexops.jobs.registry import register
from hexops.settings import Settings
from tests.fixtures.auth import create_user, issue_token, login_session


@pytest.fixture(scope="module")
def health_db(module_db_url):
    create_user(module_db_url, "ops-admin", "admin")
    create_user(module_db_url, "cmd-health", "commander")
    register(UnitOfWork.for_url(module_db_url))
    with psycopg.connect(module_db_url) as conn:
        # Every job succeeded a moment ago: fresh.
        conn.execute("UPDATE jobs SET last_success = now(), last_started = now(), next_due = now() + interval '1 h'")
    return module_db_url


def _client(url: str, tmp_path: Path, **settings):
    context = AppContext(Settings(state_dir=tmp_path, database_url=url, **settings))
    return context, create_server(context).test_client()


def test_liveness_is_public_and_says_nothing_but_ok(health_db, start_live_app):
    live = start_live_app(health_db)
    answer = requests.get(live.base_url + "/healthz", timeout=30)
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_readiness_names_each_check_and_turns_503_when_a_job_goes_stale(health_db, tmp_path):
    _, client = _client(health_db, tmp_path)
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["ready"] is True
    assert [c["name"] for c in ready.json["checks"]] == ["database", "jobs"]  # no broker configured
    with psycopg.connect(health_db) as conn:
        conn.execute("UPDATE jobs SET last_success = now() - interval '1 hour' WHERE name = 'webhooks.deliver'")
    try:
        stale = client.get("/readyz")
    finally:
        with psycopg.connect(health_db) as conn:
            conn.execute("UPDATE jobs SET last_success = now()")
    assert stale.status_code == 503 and stale.json["ready"] is False
    jobs = next(c for c in stale.json["checks"] if c["name"] == "jobs")
    assert not jobs["ok"] and "webhooks.deliver" in jobs["detail"]


def test_readiness_fails_on_a_broker_that_does_not_answer_without_saying_where_it_is(health_db, tmp_path):
    port = free_port()
    _, client = _client(health_db, tmp_path, nats_url=f"nats://127.0.0.1:{port}")
    answer = client.get("/readyz")
    assert answer.status_code == 503
    broker = next(c for c in answer.json["checks"] if c["name"] == "broker")
    assert not broker["ok"] and str(port) not in broker["detail"] and "127.0.0.1" not in answer.get_data(as_text=True)


def test_readiness_with_the_database_gone_is_503_and_the_jobs_check_is_skipped(tmp_path):
    port = free_port()
    _, client = _client(f"postgresql://nobody@127.0.0.1:{port}/none", tmp_path)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    checks = {c["name"]: c for c in answer.json["checks"]}
    assert not checks["database"]["ok"] and checks["jobs"]["detail"].startswith("skipped")
    assert client.get("/healthz").status_code == 200


def test_metrics_are_refused_to_guests_other_roles_and_admin_tokens_without_the_scope(health_db, start_live_app):
    live = start_live_app(health_db)
    assert requests.get(live.base_url + "/metrics", timeout=30).status_code == 401
    assert login_session(live.base_url, "cmd-health").get(live.base_url + "/metrics", timeout=30).status_code == 403
    broad = issue_token(health_db, "ops-admin", scopes=["layers:read", "audit:read"], name="broad")
    refused = requests.get(live.base_url + "/metrics", headers={"Authorization": f"Bearer {broad}"}, timeout=30)
    assert refused.status_code == 403


def test_metrics_give_job_freshness_alerts_deliveries_ingestion_and_request_latency_and_every_read_is_audited(
        health_db, start_live_app):
    live = start_live_app(health_db)
    requests.get(live.base_url + "/healthz", timeout=30)
    scraper = issue_token(health_db, "ops-admin", scopes=["metrics:read"], name="prometheus")
    answer = requests.get(live.base_url + "/metrics", headers={"Authorization": f"Bearer {scraper}"}, timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/plain")
    text = answer.text
    for name in ("crowd.step", "flood.step", "webhooks.deliver", "partitions.maintain", "risk.forecast"):
        assert f'hexops_job_last_success_timestamp_seconds{{job="{name}"}}' in text
        assert f'hexops_job_stale{{job="{name}"}} 0.0' in text
        assert f'hexops_job_failures_total{{job="{name}"}} 0.0' in text
    for metric in ('hexops_alerts{kind="crowd",state="open"}', 'hexops_alerts{kind="flood",state="open"}',
                   'hexops_webhook_deliveries{status="delivered"}', "hexops_ingest_camera_minutes_last_5min",
                   'hexops_ingest_quarantined_events{window="24h"}', "hexops_clock_timestamp_seconds"):
        assert metric in text, metric
    assert 'hexops_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}' in text
    # A person signed in as an admin reads them too; both reads are on record.
    assert login_session(live.base_url, "ops-admin").get(live.base_url + "/metrics", timeout=30).status_code == 200
    with psycopg.connect(health_db) as conn:
        reads = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'metrics.read' AND actor = 'ops-admin'"
                             ).fetchone()[0]
    assert reads >= 2
