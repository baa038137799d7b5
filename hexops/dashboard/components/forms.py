"""Form fields that say what is wrong beside the field, and confirmations before destructive actions.

``field(control_id, label, control, hint=...)`` lays out a visible label tied
to the control, an optional hint saying what is allowed, and an error line
``<control_id>-error`` (``role="alert"``, empty until a value is refused).
A page's callback checks its form with :mod:`hexops.services.validation`
(the same rules the services apply) and fills the error lines with
:func:`messages`::

    try:
        units = validation.patrol_units(units_text, "commander-plan-units")
        ...
    except InputError as error:
        return ..., *messages(PLAN_FIELDS, error, SERVICE_FIELDS)

A refusal whose field is not on the form (a service's own check) comes back
in the form's status line instead, so no refusal is ever dropped.
"""

from __future__ import annotations

from typing import Any

from dash import Output, dcc, html

from hexops.dashboard.i18n import _, error_text


def error_id(control_id: str) -> str:
    """The id of ``control_id``'s error line."""
    return f"{control_id}-error"


def field(control_id: str, label: str, control: Any, *, hint: str | None = None, class_name: str = "") -> html.Div:
    """A labelled control with its hint and (empty) error line."""
    parts = [html.Label(label, htmlFor=control_id, className="control-label"), control]
    if hint:
        parts.append(html.Div(hint, id=f"{control_id}-hint", className="field-hint"))
    parts.append(html.Div(id=error_id(control_id), className="field-error", role="alert"))
    return html.Div(parts, className=f"form-field {class_name}".strip())


def text_input(control_id: str, **props) -> dcc.Input:
    """A text box whose value reaches the server exactly as typed (numbers too: the server checks them).

    A ``type="number"`` box hands Dash None for anything the browser finds out
    of range, which used to turn 99999 into "no value"; a text box with a
    numeric keyboard keeps what was typed, so the refusal can say why.
    """
    return dcc.Input(id=control_id, type="text", debounce=False, **props)


def error_outputs(control_ids: list[str]) -> list[Output]:
    """The callback outputs of the error lines of ``control_ids`` (in that order)."""
    return [Output(error_id(c), "children") for c in control_ids]


def messages(control_ids: list[str], error: Exception | None = None,
             aliases: dict[str, str] | None = None) -> list[str]:
    """Each error line's text: ``error``'s sentence beside its field, "" elsewhere (all "" without an error).

    ``aliases`` maps a service's field names (``units``) to the form's control ids.
    """
    if error is None:
        return [""] * len(control_ids)
    target = getattr(error, "field", None) or ""
    target = (aliases or {}).get(target, target).split(".")[0]
    return [error_text(error) if c == target else "" for c in control_ids]


def lands_on_form(control_ids: list[str], error: Exception, aliases: dict[str, str] | None = None) -> bool:
    """Is ``error`` about one of ``control_ids`` (so its error line shows it)?"""
    target = getattr(error, "field", None) or ""
    return (aliases or {}).get(target, target).split(".")[0] in control_ids


def refused(error: Exception) -> html.Span:
    """A refusal for a form's status line (one not tied to a field of the form)."""
    return html.Span(_("Not done: {reason}", reason=error_text(error)), className="error", role="alert")


def confirm(dialog_id: str) -> dcc.ConfirmDialog:
    """The browser's confirmation dialog for a destructive action (the page sets its message)."""
    return dcc.ConfirmDialog(id=dialog_id, message="")
