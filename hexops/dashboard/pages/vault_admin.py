"""``/admin/vault`` (admins only): retention status of the clip vault, and the model registry.

Shows clips by days to expiry (held clips apart), the evidence holds, the last
retention sweep with its signed receipt (and whether the signature verifies
against this deployment's signing key), and which detector models are
registered and present.  Times in Asia/Hong_Kong.
"""

from __future__ import annotations

import json

import dash
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html

from hexops.dashboard.components.display import hk_time, record_table
from hexops.dashboard.context import app_context
from hexops.dashboard.i18n import _
from hexops.services import vault as vault_service
from hexops.vault.keys import load_signing_key

dash.register_page(__name__, path="/admin/vault", name="Vault", title="hexops: vault",
                   allowed_roles=["admin"], id_prefix="vault")



def expiry_figure(by_days: list[dict]) -> go.Figure:
    """Bars of clips per day-to-expiry, held clips stacked apart."""
    figure = go.Figure()
    for held, name in ((False, _("within retention")), (True, _("under hold"))):
        rows = [r for r in by_days if r["held"] is held]
        figure.add_bar(x=[r["days_to_expiry"] for r in rows], y=[r["clips"] for r in rows], name=name)
    # The dark theme, on the page's own background (a white chart on the dark page was unreadable).
    figure.update_layout(barmode="stack", height=280, margin=dict(l=40, r=10, t=30, b=40), template="plotly_dark",
                         paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                         xaxis_title=_("days to expiry"), yaxis_title=_("clips"), title=_("Clips by days to expiry"))
    return figure


def _sweep_section(status) -> html.Div:
    if status.last_sweep is None:
        return html.Div([html.H2(_("Last retention sweep")), html.P("No sweep has run yet.", id="vault-no-sweep")])
    receipt = status.last_sweep["details"].get("receipt", {})
    verdict = {True: "signature valid", False: "SIGNATURE INVALID", None: "not checked"}[status.last_sweep_verified]
    return html.Div([
        html.H2(_("Last retention sweep")),
        html.P([f"{hk_time(status.last_sweep['at'])}: {receipt.get('day_keys_destroyed', 0)} day keys and "
                f"{receipt.get('hold_keys_destroyed', 0)} hold keys destroyed, "
                f"{receipt.get('clips_deleted', 0)} clips deleted; ",
                html.Strong(verdict, id="vault-receipt-verdict")]),
        html.Details([html.Summary("Signed receipt"),
                      html.Pre(json.dumps(status.last_sweep["details"], indent=2), id="vault-receipt")]),
        html.P(f"Signing public key: {status.public_key}", className="vault-key"),
    ])


def _status_children():
    ctx = app_context()
    status = vault_service.retention_status(ctx.uow(), load_signing_key(ctx.settings))
    total = sum(r["clips"] for r in status.by_days)
    return [
        html.P(f"{total} clips in the vault.", id="vault-total"),
        dcc.Graph(id="vault-expiry-graph", figure=expiry_figure(status.by_days), config={"displayModeBar": False}),
        html.H2(_("Evidence holds")),
        record_table(status.holds, ["hold_id", "case_id", "clips", "active", "placed_by", "placed_at", "until",
                              "released_at", "released_by", "reason"], "vault-holds-table"),
        _sweep_section(status),
        html.H2(_("Detector models")),
        record_table(vault_service.model_registry(ctx.settings), ["name", "version", "runner", "licence", "present", "sha256",
                                                "saturation_count", "path"], "vault-models-table"),
    ]


def layout(**_query):
    return html.Div([
        html.H1(_("Clip vault and retention"), className="page-title"),
        html.Button(_("Refresh"), id="vault-refresh", n_clicks=0),
        html.Div(_status_children(), id="vault-status"),
    ])


@callback(Output("vault-status", "children"), Input("vault-refresh", "n_clicks"), prevent_initial_call=True)
def refresh(_clicks: int):
    return _status_children()
