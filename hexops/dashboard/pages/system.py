"""``/system`` (admins only): is hexops running unattended, at a glance.

Readiness checks, every background job's freshness (a stale job in red and
marked STALE), ingestion, alerts and webhook deliveries as ``/metrics``
counts them, the latest job runs, and the demo replay with what its webhook
receiver got.  Refreshed every 5 seconds; it only reads.
"""

from __future__ import annotations

from datetime import datetime

import dash
from dash import Input, Output, callback, dcc, html

from hexops.dashboard.components.display import hk_time
from hexops.dashboard.context import app_context
from hexops.dashboard.i18n import _
from hexops.services import health

dash.register_page(__name__, path="/system", name="System", title="hexops: system",
                   allowed_roles=["admin"], id_prefix="system")

REFRESH_MS = 5000


def layout(**_query) -> html.Div:
    return html.Div([
        html.H1(_("System"), className="page-title"),
        html.P(id="system-summary", role="status"),
        html.Section([html.H2(_("Readiness")), html.Div(id="system-checks")]),
        html.Section([html.H2(_("Background jobs")), html.Div(id="system-jobs")]),
        html.Div([
            html.Section([html.H2(_("Ingestion")), html.Div(id="system-ingest")]),
            html.Section([html.H2(_("Alerts (last 24 h)")), html.Div(id="system-alerts")]),
            html.Section([html.H2(_("Webhook deliveries (last 24 h)")), html.Div(id="system-webhooks")]),
        ], className="system-row"),
        html.Section([html.H2(_("Demo replay and its webhook receiver")), html.Div(id="system-replay")]),
        html.Section([html.H2(_("Latest job runs")), html.Div(id="system-runs")]),
        dcc.Interval(id="system-tick", interval=REFRESH_MS),
    ], className="page page-system")


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def _table(head: list[str], rows: list[html.Tr], table_id: str) -> html.Table:
    return html.Table([html.Thead(html.Tr([html.Th(h, scope="col") for h in head])), html.Tbody(rows)],
                      id=table_id, className="admin-table system-table")


def _checks(results) -> html.Ul:
    return html.Ul([html.Li([html.Strong(f"{r.name}: "), html.Span("ready" if r.ok else "NOT READY",
                                                                  className="ok" if r.ok else "bad"),
                             f" \u00b7 {r.detail}"], className="check-ok" if r.ok else "check-bad")
                    for r in results], id="system-checks-list", className="plain-list")


def _jobs(states) -> html.Table:
    rows = []
    for s in states:
        rows.append(html.Tr([
            html.Td([s.name, html.Strong(" STALE", className="bad") if s.stale else ""]),
            html.Td(f"{s.period_s:g} s"),
            html.Td(f"{hk_time(s.last_success, '%d %b %H:%M:%S')} ({_ago(s.age_s)})" if s.last_success else "never"),
            html.Td("" if s.last_duration_s is None else f"{s.last_duration_s:.2f} s"),
            html.Td(f"{s.consecutive_failures} / {s.total_failures}"),
            html.Td(s.running_on or ""),
            html.Td(s.last_error or "", className="error-text"),
        ], className="stale" if s.stale else None, id=f"system-job-{s.name.replace('.', '-')}"))
    return _table(["Job", "Every", "Last success (wall, HKT)", "Took", "Failures (in a row / all)", "Running on",
                   "Last error"], rows, "system-jobs-table")


def _pairs(items: list[tuple[str, str]], list_id: str) -> html.Dl:
    return html.Dl([part for label, value in items for part in (html.Dt(label), html.Dd(value))],
                   id=list_id, className="system-figures")


def _replay(replay: dict | None, receipts: list[dict], now: datetime) -> html.Div:
    if replay is None:
        return html.P(_("No demo replay has run on this system: this section fills in while a demo replay runs."),
                      className="muted empty-state")
    behind = (now - replay["published_until"]).total_seconds() if replay["published_until"] else None
    figures = _pairs([
        ("Replay", f"{replay['replay_id']} from {hk_time(replay['scenario_from'])} HKT at x{replay['speed']:g}"),
        ("Published up to", f"{hk_time(replay['published_until'], '%d %b %H:%M')} HKT" if replay["published_until"]
         else "nothing yet"),
        ("Windows / events", f"{replay['windows']} / {int(replay['events']):,}"),
        ("Behind the clock", "" if behind is None else f"{behind:.0f} s of scenario time"),
        ("Receiver", replay["receiver_url"] or ""),
    ], "system-replay-figures")
    rows = [html.Tr([
        html.Td(hk_time(r["received_at"], "%H:%M:%S")),
        html.Td(r["event_id"] or ""),
        html.Td((r["alert"] or {}).get("h3", "")),
        html.Td(hk_time(datetime.fromisoformat(r["alert"]["at"]), "%d %b %H:%M") if (r["alert"] or {}).get("at") else ""),
        html.Td("valid" if r["signature_ok"] else "INVALID", className="ok" if r["signature_ok"] else "bad"),
        html.Td(str(r["status_code"])),
        html.Td("" if r["delay_s"] is None else f"{r['delay_s']:.1f} s"),
    ]) for r in receipts]
    table = _table(["Received (wall, HKT)", "Event", "Hex", "Flooded at (scenario)", "Signature", "Answer",
                    "After its detections"], rows, "system-receipts-table") if rows else html.P(
        "The receiver has not been sent anything in this replay yet.", className="muted", id="system-receipts-none")
    return html.Div([figures, table])


def _runs(runs: list[dict]) -> html.Table:
    rows = [html.Tr([html.Td(hk_time(r["started_at"], "%H:%M:%S")), html.Td(r["job"]), html.Td(r["worker"]),
                     html.Td(r["outcome"], className="bad" if r["outcome"] == "failure" else None),
                     html.Td("" if r["finished_at"] is None else
                             f"{(r['finished_at'] - r['started_at']).total_seconds():.2f} s"),
                     html.Td(f"{r['lag_s']:.1f} s"),
                     html.Td(r["error"] or ", ".join(f"{k} {v}" for k, v in (r["detail"] or {}).items()))])
            for r in runs]
    return _table(["Started (wall, HKT)", "Job", "Worker", "Outcome", "Took", "Late by", "Detail"], rows,
                  "system-runs-table")


@callback(
    Output("system-summary", "children"), Output("system-checks", "children"), Output("system-jobs", "children"),
    Output("system-ingest", "children"), Output("system-alerts", "children"), Output("system-webhooks", "children"),
    Output("system-replay", "children"), Output("system-runs", "children"),
    Input("system-tick", "n_intervals"),
)
def refresh(_tick):
    view = health.system_view(app_context())
    snap = view.snapshot
    stale = [s.name for s in snap.jobs if s.stale]
    ready = all(c.ok for c in view.checks)
    summary = (f"Clock {hk_time(snap.now, '%d %b %Y %H:%M:%S')} HKT ({snap.clock_label}); "
               f"{'ready' if ready else 'NOT READY'}; "
               + (f"{len(stale)} stale job(s): {', '.join(stale)}" if stale else "every job fresh"))
    ingest = snap.ingest
    ingest_view = _pairs([
        ("Camera-minutes, last 5 min of the clock", f"{ingest['camera_minutes_5min']:,}"),
        ("Cameras reporting", f"{ingest['cameras_5min']:,}"),
        ("Latest detections", f"{hk_time(ingest['data_end'], '%d %b %H:%M')} HKT" if ingest["data_end"] else "none"),
        ("Lag behind the clock", "" if ingest["lag_s"] is None else f"{ingest['lag_s']:.0f} s"),
        ("Quarantined, last 24 h", f"{ingest['quarantined_24h']:,}"),
    ], "system-ingest-figures")
    alerts_view = _pairs(
        [(f"Crowd {state}", str(n)) for state, n in snap.crowd_alerts.items()]
        + [(f"Flood {state}", str(n)) for state, n in snap.flood_alerts.items()]
        + [(f"Hexes {state}", str(n)) for state, n in sorted(snap.flood_hexes.items())]
        + [(f"{machine} machine behind the clock", f"{lag:.0f} s") for machine, lag in sorted(snap.cursors.items())],
        "system-alert-figures")
    hooks_view = _pairs([(status, str(n)) for status, n in snap.webhooks.items()], "system-webhook-figures")
    return (summary, _checks(view.checks), _jobs(snap.jobs), ingest_view, alerts_view, hooks_view,
            _replay(view.replay, view.receipts, snap.now), _runs(view.runs))
