"""Small display pieces shared by pages: Hong Kong time, record tables, the replay slider.

Times are stored in UTC (timestamptz); people read them in Hong Kong time.
"""

from __future__ import annotations

from datetime import datetime

from dash import dcc, html
from hexops.city import HONG_KONG



def hk_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A datetime as Hong Kong time in ``fmt``; None as ""; anything else as ``str(value)``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(HONG_KONG.tz).strftime(fmt)
    return str(value)


def record_table(rows: list[dict], columns: list[str], table_id: str) -> html.Table:
    """An admin-style table of ``rows`` (dicts), one column per name, times in Hong Kong time."""
    head = html.Thead(html.Tr([html.Th(c) for c in columns]))
    body = html.Tbody([html.Tr([html.Td(hk_time(row.get(c))) for c in columns]) for row in rows])
    return html.Table([head, body], id=table_id, className="admin-table")


def replay_slider(prefix: str, hours: int, mark_every_min: int) -> html.Div:
    """A slider over the last ``hours`` in 5-minute steps (value: minutes before "latest", <= 0).

    Its id is ``<prefix>-replay``; the page's callbacks read its value.
    """
    marks = {m: f"-{-m // 60}h" if m else "latest" for m in range(-hours * 60, 1, mark_every_min)}
    return html.Div(
        dcc.Slider(-hours * 60, 0, 5, value=0, marks=marks, id=f"{prefix}-replay", updatemode="mouseup"),
        className="replay",
        # The slider needs room for its hour marks; the shared stylesheet has no rule for it.
        style={"flex": "1 1 420px", "minWidth": "420px"},
    )
