"""A small read-only panel of the time-series storage: each tier's partitions, span and size.

For an admin page (the System page places it): ``storage_panel(id_prefix)``
renders the figures of :func:`hexops.services.partitions.sizes`, read on a
read-only unit of work.  Nothing here changes anything.
"""

from __future__ import annotations

from dash import html

from hexops.dashboard.context import app_context
from hexops.services import partitions

#: What each tier is for, as the panel says it.
_PURPOSE = {
    "detections_camera_minute": "camera-minute sums (alerts, the Events page)",
    "ingest_event_keys": "idempotency keys (redeliveries count once)",
    "detections_hex_5min": "hex 5-minute rollups (maps, tiles, OGC API)",
    "detections_hex_hour": "hex hourly rollups (history beyond 90 days)",
    "ingest_quarantine": "rejected events with their reasons",
}


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return str(n)


def render(sizes: dict, id_prefix: str) -> html.Div:
    """The panel for figures from :func:`hexops.services.partitions.sizes` (ids start with ``id_prefix``)."""
    head = html.Thead(html.Tr([html.Th(h) for h in ("Table", "Holds", "Kept", "Partitions", "From", "To",
                                                    "Rows (est.)", "Size")]))
    rows = []
    for t in sizes["tables"]:
        kept = f"{t['keep_days']} days" + (" (monthly)" if t["period"] == "month" else "")
        rows.append(html.Tr([
            html.Td(t["table"]), html.Td(_PURPOSE.get(t["table"], "")), html.Td(kept), html.Td(t["partitions"]),
            html.Td(t["oldest"].isoformat() if t["oldest"] else "\u2013"),
            html.Td(t["newest"].isoformat() if t["newest"] else "\u2013"),
            html.Td(f"{t['rows_estimate']:,}"), html.Td(_size(t["bytes"])),
        ]))
    state = ", ".join(f"{name} {_size(size)}" for name, size in sorted(sizes["state"].items()))
    return html.Div([
        html.H3("Time-series storage"),
        html.Table([head, html.Tbody(rows)], className="admin-table", id=f"{id_prefix}-storage-table"),
        html.P(f"Total {_size(sizes['total_bytes'])}. State read by every refresh: {state or 'none'}.",
               className="muted", id=f"{id_prefix}-storage-total"),
    ], id=f"{id_prefix}-storage")


def storage_panel(id_prefix: str) -> html.Div:
    """The panel with the figures as they are now (on the read replica when there is one)."""
    return render(partitions.sizes(app_context().read_uow()), id_prefix)
