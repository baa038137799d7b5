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


def cell_text(value) -> str:
    """A stored value as a person reads it: times in Hong Kong time, yes/no, ``key: value`` pairs for objects."""
    from hexops.dashboard.i18n import _

    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {cell_text(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(cell_text(v) for v in value)
    return hk_time(value)


def record_table(rows: list[dict], columns: list, table_id: str, *, empty: str | None = None) -> html.Table | html.P:
    """An admin-style table of ``rows`` (dicts), times in Hong Kong time.

    ``columns`` are ``(key, heading)`` pairs (headings already in the reader's
    language); a bare key is shown with its underscores as spaces.  With no
    rows and an ``empty`` sentence, that sentence is shown instead of an empty table.
    """
    if not rows and empty:
        return html.P(empty, id=table_id, className="muted empty-state")
    pairs = [c if isinstance(c, tuple) else (c, c.replace("_", " ").capitalize()) for c in columns]
    head = html.Thead(html.Tr([html.Th(heading, scope="col") for _key, heading in pairs]))
    body = html.Tbody([html.Tr([html.Td(cell_text(row.get(key))) for key, _heading in pairs]) for row in rows])
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
