"""The forecast panel: how the forecast in use did, in plain words, with the backtest behind "Details".

A commander reads first whether the forecast beats the obvious, putting the
patrols where most incidents happened last year; the technical figures (PAI,
PEI, model names) stay one click away, each with a one-line definition.
Used by the commander's page (ids ``<prefix>-forecast-verdict``,
``<prefix>-forecast-details``, ``<prefix>-backtest-table``,
``<prefix>-forecast-terms``).  The figures come from the backtest stored
with the forecast (:func:`hexops.services.risk.forecast_verdict`).
"""

from __future__ import annotations

from dash import html

from hexops.analytics.risk import REFERENCE, SKILL_KEY, TABLE_METRICS, names, spec
from hexops.analytics.risk.errors import RiskInputError
from hexops.analytics.risk.verdict import Verdict

#: Extra terms defined under the table.
TERMS = {
    "PAI": "predictive accuracy index: the share of incidents in the flagged area divided by the share of "
           "the area flagged (1 is no better than chance)",
    "PEI": "predictive efficiency index: incidents caught in the flagged area as a share of the most any "
           "area of that size could have caught",
}


def _label(name: str) -> str:
    """A forecaster in plain words (its registry label), or its name if unregistered."""
    try:
        return spec(name).label
    except RiskInputError:
        return name


def _definition(name: str) -> str:
    try:
        return spec(name).definition
    except RiskInputError:
        return "no longer offered by hexops"


def _percent(value: float, other: float) -> str:
    """A share as a whole percent, or to one decimal when that is what tells it from ``other``."""
    if round(value * 100) == round(other * 100) and value != other:
        return f"{value * 100:.1f}%"
    return f"{value * 100:.0f}%"


def _days(days: float) -> str:
    return f"{days:g} day" if days == 1 else f"{days:g} days"


def plain_words(found: Verdict | None, *, district_label: str | None = None) -> list[str]:
    """The sentences above the table: the forecast in use against counting last year's incidents.

    Parameters
    ----------
    found : Verdict or None
        From :func:`hexops.services.risk.forecast_verdict`; None when the
        stored forecast predates the baselines (or the district has no scores).
    district_label : str, optional
        The selected district's code or name; None for the whole city.
    """
    area = "the district" if found is not None and found.district else "the city"
    if found is None:
        return ["This forecast was stored before hexops compared every forecast with counting last year's "
                "incidents: the next forecast the forecast job makes will say how it does."]
    span = _days(found.days)
    if found.hit_rate is None or found.reference_hit_rate is None:
        where = f"in {district_label or area}"
        return [f"No incidents were recorded {where} over the last {span}, so there is nothing yet to "
                f"compare this forecast with."]
    ours, theirs = _percent(found.hit_rate, found.reference_hit_rate), \
        _percent(found.reference_hit_rate, found.hit_rate)
    if found.model_is_baseline and not found.any_model_beats_reference:
        if found.model == REFERENCE:
            return [f"No forecasting model did better than counting last year's incidents over the last {span}, "
                    f"so the map shows that count: it put {theirs} of incidents in the 5% of {area} it flagged."]
        return [f"No forecasting model did better than {_label(found.model)} over the last {span}, so the map "
                f"shows that count: it put {ours} of incidents in the 5% of {area} it flagged; counting last "
                f"year's incidents would have caught {theirs}."]
    words = [f"Over the last {span} this forecast put {ours} of incidents in the 5% of {area} it flagged; "
             f"counting last year's incidents would have caught {theirs}."]
    if not found.any_model_beats_reference:
        words.append("No forecasting model beat counting last year's incidents over this span.")
    elif found.district and found.beats_reference is False:
        did = "as well" if found.hit_rate == found.reference_hit_rate else "better"
        words.append(f"In this district counting last year's incidents did {did}.")
    return words


def _in_report_order(models: dict) -> list[str]:
    """Baselines first, then peers, then models (the registry's order); unknown names last."""
    order = {name: i for i, name in enumerate(names())}
    return sorted(models, key=lambda name: (order.get(name, len(order)), name))


def _table(run: dict, prefix: str) -> html.Div:
    backtest = run.get("backtest") or {}
    models = backtest.get("models", {})
    kinds = backtest.get("kinds", {})
    keys = [key for key in TABLE_METRICS if any(key in metrics for metrics in models.values())]
    head = html.Tr([html.Th("model")] + [html.Th(TABLE_METRICS[k][0]) for k in keys])
    rows = []
    for name in _in_report_order(models):
        metrics = models[name]
        shown = name + (" (in use)" if name == run["model"] else "")
        kind = kinds.get(name)
        cells = [html.Td([shown, html.Br(), html.Small(kind)] if kind in ("baseline", "peer") else shown)]
        cells += [html.Td("-" if metrics.get(k) is None else f"{metrics[k]:.2f}") for k in keys]
        rows.append(html.Tr(cells, className="current" if name == run["model"] else None))
    table = html.Table([html.Thead(head), html.Tbody(rows)], id=f"{prefix}-backtest-table",
                       style={"fontSize": "0.8em"})
    # The side panel is narrow: the table scrolls sideways rather than being cut off.
    return html.Div(table, style={"overflowX": "auto"})


def _terms(run: dict, prefix: str) -> html.Dl:
    models = (run.get("backtest") or {}).get("models", {})
    entries = [(name, _definition(name)) for name in _in_report_order(models)]
    entries += list(TERMS.items())
    entries += [("hits 5%", TABLE_METRICS["hit_rate_5"][1]), ("skill", TABLE_METRICS[SKILL_KEY][1])]
    # Definitions are prose: normal weight and word breaks, unlike the panel's figures.
    prose = {"fontWeight": "normal", "wordBreak": "normal"}
    items: list = []
    for term, definition in entries:
        items += [html.Dt(term), html.Dd(definition, style=prose)]
    return html.Dl(items, id=f"{prefix}-forecast-terms", style={"fontSize": "0.8em"})


def forecast_panel(run: dict, found: Verdict | None, *, prefix: str, district_label: str | None = None) -> html.Div:
    """The panel for a stored forecast ``run``: plain words, then the backtest behind a "Details" toggle."""
    words = plain_words(found, district_label=district_label)
    origins = (run.get("backtest") or {}).get("origins", 0)
    scope = "the whole city"
    if found is not None and found.district:
        scope += "; the sentence above is for the selected district"
    return html.Div([
        html.P(words[0], id=f"{prefix}-forecast-verdict", className="verdict"),
        *[html.P(line, className="verdict-note") for line in words[1:]],
        html.Details([
            html.Summary("Details"),
            html.P(f"Forecast in use: {run['model']} ({_label(run['model'])}). Rolling backtest over the "
                   f"{origins} forecast periods before it; the table is for {scope}.", className="note"),
            _table(run, prefix),
            _terms(run, prefix),
        ], id=f"{prefix}-forecast-details"),
    ])
