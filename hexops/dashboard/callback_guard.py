"""Only callbacks the app declared, called exactly as declared.

Dash runs ``POST /_dash-update-component`` by looking up the body's
``output`` string in ``app.callback_map`` and passing ``inputs`` and
``state`` to the function *by position*, whatever ids and properties the
body labels them with.  A check that reads one input by its label can
therefore be shown one value while the function receives another (issue 10,
finding 1).  :func:`match` closes that class of tricks at the root: a
request is let through only when its outputs, inputs and state have exactly
the declared ids, properties, order and count, and every id it says changed
is one of its inputs.  Values are not judged here; each callback parses its
own (and answers 400 for bad ones).

What is read from Dash, each pinned by ``tests/security/test_dash_contract.py``:
``app.callback_map`` (keyed by the ``output`` string; entries carry
``inputs`` and ``state`` as ``{"id", "property"}`` dicts, ``output`` as the
``Output`` object(s) and ``callback`` for server-side callbacks), the id
strings of :func:`dash._utils.stringify_id`'s format (pattern ids as JSON
with wildcards as ``["ALL"]``), and the request body the renderer sends
(``output``, ``outputs``, ``inputs``, ``state``, ``changedPropIds``,
``parsedChangedPropsIds``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from hexops.errors import ForbiddenError, InputError

#: Largest callback request body accepted, bytes (a drawn zone or a page of
#: filters is a few kB; nothing legitimate comes near this).
MAX_BODY_BYTES = 1_000_000
#: Most components one pattern-matching (``ALL``) input may list.
MAX_PATTERN_ITEMS = 1000
_BODY_KEYS = frozenset({"output", "outputs", "inputs", "state", "changedPropIds", "parsedChangedPropsIds"})
_ITEM_KEYS = frozenset({"id", "property", "value"})
_WILDCARDS = ({"ALL"}, {"MATCH"}, {"ALLSMALLER"})
_DUPLICATE_HASH = re.compile(r"@([0-9a-f]{64})")


class CallbackMismatch(ForbiddenError):
    """The request does not match a declared server-side callback (403, refused)."""


@dataclass(frozen=True)
class Declared:
    """A declared server-side callback that a request matched.

    Attributes
    ----------
    output : str
        The callback's key (Dash's ``output`` string).
    output_ids : tuple of str
        Its output component ids; a pattern id is given by its ``type``.
    """

    output: str
    output_ids: tuple[str, ...]


def parse_body(raw: bytes) -> dict:
    """The JSON object of a callback request, or :class:`InputError` (400)."""
    if len(raw) > MAX_BODY_BYTES:
        raise InputError(f"callback request larger than {MAX_BODY_BYTES} bytes", field="body", status=413)
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError("callback request is not JSON", field="body") from exc
    except RecursionError:
        raise InputError("callback request is nested too deeply", field="body") from None
    if not isinstance(body, dict):
        raise InputError("callback request must be a JSON object", field="body")
    return body


def _refuse(why: str) -> CallbackMismatch:
    return CallbackMismatch(f"not a declared callback: {why}", field="body")


def _pattern(declared_id: str) -> dict | None:
    """A pattern id's dict (wildcards as ``{"ALL"}`` sets), or None for a plain id."""
    if not declared_id.startswith("{"):
        return None
    parsed = json.loads(declared_id)
    return {k: (set(v) if isinstance(v, list) else v) for k, v in parsed.items()}


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and value is not None


def _id_fits(pattern: dict, candidate: Any) -> bool:
    if not isinstance(candidate, dict) or set(candidate) != set(pattern):
        return False
    for key, want in pattern.items():
        got = candidate[key]
        if want in _WILDCARDS:
            if not _is_scalar(got):
                return False
        elif type(got) is not type(want) or got != want:
            return False
    return True


def _item_fits(item: Any, want_id: str, pattern: dict | None, prop: str, keys: frozenset) -> bool:
    if not isinstance(item, dict) or not set(item) <= keys or "id" not in item or item.get("property") != prop:
        return False
    return _id_fits(pattern, item["id"]) if pattern is not None else item["id"] == want_id


def _dependency_fits(item: Any, declared_id: str, prop: str, keys: frozenset) -> bool:
    """Does one request entry fit one declared dependency (plain, MATCH or ALL/ALLSMALLER)?"""
    pattern = _pattern(declared_id)
    multi = pattern is not None and any(v in ({"ALL"}, {"ALLSMALLER"}) for v in pattern.values())
    if multi:
        return (isinstance(item, list) and len(item) <= MAX_PATTERN_ITEMS
                and all(_item_fits(one, declared_id, pattern, prop, keys) for one in item))
    return _item_fits(item, declared_id, pattern, prop, keys)


def _dependencies_fit(items: Any, declared: list[dict], keys: frozenset) -> bool:
    if not isinstance(items, list) or len(items) != len(declared):
        return False
    return all(_dependency_fits(item, dep["id"], dep["property"], keys) for item, dep in zip(items, declared))


def _declared_outputs(key: str, entry: dict) -> list[dict]:
    outputs = entry["output"]
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    duplicate = _DUPLICATE_HASH.search(key)
    declared = []
    for out in outputs:
        prop = out.component_property
        if getattr(out, "allow_duplicate", False) and duplicate:
            prop = f"{prop}@{duplicate.group(1)}"
        declared.append({"id": out.component_id_str(), "property": prop})
    return declared


def _changed_ids_fit(body: dict, inputs: list) -> bool:
    changed = body.get("changedPropIds", [])
    parsed = body.get("parsedChangedPropsIds")
    if not isinstance(changed, list) or len(changed) > len(inputs) + MAX_PATTERN_ITEMS:
        return False
    named = set()
    for item in inputs:
        for one in (item if isinstance(item, list) else [item]):
            component = one["id"]
            text = component if isinstance(component, str) else json.dumps(component, sort_keys=True)
            named.add((text, one["property"]))
    for prop_id in changed:
        if not isinstance(prop_id, str):
            return False
        component, _, prop = prop_id.rpartition(".")
        if component.startswith("{"):
            try:
                component = json.dumps(json.loads(component), sort_keys=True)
            except ValueError:
                return False
        if (component, prop) not in named:
            return False
    if parsed is not None:
        if not isinstance(parsed, list) or len(parsed) != len(changed):
            return False
        # The renderer repeats each plain id as is and gives a pattern id as its object.
        for prop_id, component in zip(changed, parsed):
            if isinstance(component, dict):
                expected = prop_id.rpartition(".")[0]
                if not expected.startswith("{") or json.loads(expected) != component:
                    return False
            elif component != prop_id:
                return False
    return True


def match(body: dict, callback_map: dict) -> Declared:
    """The declared callback ``body`` calls, or :class:`CallbackMismatch`.

    Parameters
    ----------
    body : dict
        The parsed request (see :func:`parse_body`).
    callback_map : dict
        ``app.callback_map`` of the running Dash app.
    """
    if not set(body) <= _BODY_KEYS:
        raise _refuse(f"unexpected keys {sorted(set(body) - _BODY_KEYS)}")
    key = body.get("output")
    entry = callback_map.get(key) if isinstance(key, str) else None
    if entry is None or "callback" not in entry or entry.get("no_output"):
        raise _refuse("no server-side callback has these outputs")
    declared_outputs = _declared_outputs(key, entry)
    outputs = body.get("outputs")
    if key.startswith(".."):
        fits = _dependencies_fit(outputs, declared_outputs, frozenset({"id", "property"}))
    else:
        fits = len(declared_outputs) == 1 and _dependency_fits(
            outputs, declared_outputs[0]["id"], declared_outputs[0]["property"], frozenset({"id", "property"}))
    if not fits:
        raise _refuse("outputs differ from the declaration")
    inputs = body.get("inputs")
    if not _dependencies_fit(inputs, entry["inputs"], _ITEM_KEYS):
        raise _refuse("inputs differ from the declaration (ids, properties, order or count)")
    state = body.get("state", [])
    if state is None and not entry["state"]:
        state = []
    if not _dependencies_fit(state, entry["state"], _ITEM_KEYS):
        raise _refuse("state differs from the declaration (ids, properties, order or count)")
    if not _changed_ids_fit(body, inputs):
        raise _refuse("changedPropIds names something that is not one of its inputs")
    ids = []
    for out in declared_outputs:
        pattern = _pattern(out["id"])
        ids.append(str(pattern.get("type", "")) if pattern is not None else out["id"])
    return Declared(key, tuple(ids))
