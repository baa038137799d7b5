"""Health and metrics: ``/healthz``, ``/readyz`` and ``/metrics``.

- ``GET /healthz`` (public): the web process is alive.  It reads nothing and
  says nothing but ``{"status": "ok"}``; use it to restart a stuck process.
- ``GET /readyz`` (public): 200 when every readiness check passes
  (database, the broker when ``HEXOPS_NATS_URL`` is set, job freshness;
  see :mod:`hexops.services.health`), else 503; the body names each check
  with a short reason and nothing more (no host names, no errors).
- ``GET /metrics`` (Prometheus text format): admins only.  A person signed
  in as an admin may read it; a token must belong to an admin and carry the
  ``metrics:read`` scope (``hexops users token <admin> --name prometheus
  --scope metrics:read``), so a scraper's token can read metrics and nothing
  else.  Every read is recorded in the audit log (``metrics.read``).

Request latency is measured here for every route (a Flask hook on the whole
app, registered with this blueprint); under gunicorn the processes share it
through prometheus_client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``,
set by ``hexops serve``).  Everything else is read from the database at
scrape time, so it is the same whichever process answers.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, g, jsonify, request
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from hexops.dashboard import access
from hexops.dashboard.context import app_context
from hexops.services import health

blueprint = Blueprint("health", __name__)

METRICS_SCOPE = "metrics:read"

#: Not registered globally: added to each scrape's registry (or read from the
#: multiprocess directory, where every gunicorn process writes it).
REQUEST_LATENCY = Histogram(
    "hexops_http_request_duration_seconds", "Time to answer a request, by route (the URL rule), method and status.",
    ["route", "method", "status"], registry=None,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


@blueprint.before_app_request
def _start_timer() -> None:
    g.hexops_request_started = time.perf_counter()


@blueprint.after_app_request
def _observe(response: Response) -> Response:
    started = g.pop("hexops_request_started", None)
    if started is not None:
        # The URL rule, never the raw path: ids and hexes in paths would make the labels unbounded.
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        REQUEST_LATENCY.labels(route, request.method, str(response.status_code)).observe(
            time.perf_counter() - started)
    return response


@blueprint.get("/healthz")
@access.public
def healthz():
    return jsonify({"status": "ok"})


@blueprint.get("/readyz")
@access.public
def readyz():
    results = health.readiness(app_context())
    ready = all(r.ok for r in results)
    response = jsonify({"ready": ready, "checks": [{"name": r.name, "ok": r.ok, "detail": r.detail} for r in results]})
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/metrics")
@access.allow("admin", scope=METRICS_SCOPE)
def metrics():
    context = app_context()
    user = access.current_user()
    with context.uow() as uow:
        uow.audit.record(actor=user.username, action="metrics.read", target="/metrics",
                         details={"via_token": bool(user.via_token)})
        uow.commit()
    registry = CollectorRegistry()
    if context.settings.metrics_dir is not None:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry, path=str(context.settings.metrics_dir))
    else:
        registry.register(REQUEST_LATENCY)
    registry.register(_DatabaseCollector(context))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                    headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})


class _DatabaseCollector:
    """The figures of :func:`hexops.services.health.snapshot` as Prometheus metric families."""

    def __init__(self, context):
        self.context = context

    def collect(self):
        snap = health.snapshot(self.context.uow(), self.context.clock())
        yield from _job_families(snap.jobs)
        yield _gauge("hexops_clock_timestamp_seconds", "The product clock's now (a demo replay's scenario time).",
                     [], [([], snap.now.timestamp())])
        ingest = snap.ingest
        yield _gauge("hexops_ingest_camera_minutes_last_5min",
                     "Camera-minutes with detections in the last 5 minutes of the clock (5 per camera reporting "
                     "throughout).", [], [([], ingest["camera_minutes_5min"])])
        yield _gauge("hexops_ingest_cameras_last_5min", "Cameras that reported in the last 5 minutes of the clock.",
                     [], [([], ingest["cameras_5min"])])
        if ingest["lag_s"] is not None:
            yield _gauge("hexops_ingest_lag_seconds",
                         "The clock's now minus the end of the latest detections (in the clock's seconds).",
                         [], [([], ingest["lag_s"])])
        yield _gauge("hexops_ingest_quarantined_events", "Rejected events kept in quarantine, by window.",
                     ["window"], [(["24h"], ingest["quarantined_24h"]), (["retained"], ingest["quarantined_retained"])])
        yield _gauge("hexops_alerts", "Alerts raised in the last 24 h of the clock, by kind and state.",
                     ["kind", "state"], [(["crowd", s], n) for s, n in snap.crowd_alerts.items()]
                     + [(["flood", s], n) for s, n in snap.flood_alerts.items()])
        yield _gauge("hexops_flood_hexes", "Watched hexes (H3 res 9) by flood state, not counting normal ones.",
                     ["state"], [([s], n) for s, n in snap.flood_hexes.items()])
        yield _gauge("hexops_webhook_deliveries", "Webhook deliveries created in the last 24 h, by status.",
                     ["status"], [([s], n) for s, n in snap.webhooks.items() if s != "attempts"])
        yield _gauge("hexops_webhook_attempts", "Delivery attempts of the webhook deliveries of the last 24 h.",
                     [], [([], snap.webhooks["attempts"])])
        yield _gauge("hexops_alert_cursor_lag_seconds", "How far each alert machine's last step lies behind the clock.",
                     ["machine"], [([m], lag) for m, lag in snap.cursors.items()])


def _gauge(name: str, documentation: str, labels: list[str], samples) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for values, value in samples:
        family.add_metric(values, float(value))
    return family


def _job_families(states):
    last = _gauge("hexops_job_last_success_timestamp_seconds", "When each job last succeeded (Unix time).", ["job"],
                  [([s.name], s.last_success.timestamp()) for s in states if s.last_success])
    duration = _gauge("hexops_job_last_duration_seconds", "How long each job's last run took.", ["job"],
                      [([s.name], s.last_duration_s) for s in states if s.last_duration_s is not None])
    period = _gauge("hexops_job_period_seconds", "Each job's period.", ["job"], [([s.name], s.period_s) for s in states])
    stale = _gauge("hexops_job_stale", "1 when a job has not succeeded within two periods.", ["job"],
                   [([s.name], int(s.stale)) for s in states])
    in_row = _gauge("hexops_job_consecutive_failures", "Failures since each job's last success.", ["job"],
                    [([s.name], s.consecutive_failures) for s in states])
    failures = CounterMetricFamily("hexops_job_failures", "Failed runs of each job since it was registered.",
                                   labels=["job"])
    for s in states:
        failures.add_metric([s.name], float(s.total_failures))
    return [last, duration, period, stale, in_row, failures]
