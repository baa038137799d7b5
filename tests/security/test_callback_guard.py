"""The callback guard on its own: exactly the declared callback, or refused (no server needed)."""

from __future__ import annotations

import copy
import json

import pytest
from dash import ALL, Input, Output, State
from hypothesis import given, settings
from hypothesis import strategies as st

from hexops.dashboard.callback_guard import CallbackMismatch, match, parse_body
from hexops.errors import InputError

ACK = '{"alert":["ALL"],"type":"crowd-ack"}'


def _entry(outputs, inputs, state=(), server=True):
    entry = {"output": outputs, "inputs": [i.to_dict() for i in inputs], "state": [s.to_dict() for s in state]}
    if server:
        entry["callback"] = lambda *a, **k: None
    return entry


CALLBACK_MAP = {
    "..page-a.children...page-b.data..": _entry([Output("page-a", "children"), Output("page-b", "data")],
                                                [Input("loc", "pathname"), Input("loc", "search")]),
    "page-c.children": _entry(Output("page-c", "children"), [Input("page-x", "value")], [State("page-y", "value")]),
    "page-acked.data": _entry(Output("page-acked", "data"), [Input({"type": "crowd-ack", "alert": ALL}, "n_clicks")]),
    "page-client.data": _entry(Output("page-client", "data"), [Input("page-x", "value")], server=False),
}


def good_multi():
    return {"output": "..page-a.children...page-b.data..",
            "outputs": [{"id": "page-a", "property": "children"}, {"id": "page-b", "property": "data"}],
            "inputs": [{"id": "loc", "property": "pathname", "value": "/x"},
                       {"id": "loc", "property": "search", "value": ""}],
            "changedPropIds": ["loc.pathname"], "parsedChangedPropsIds": ["loc.pathname"]}


def good_state():
    return {"output": "page-c.children", "outputs": {"id": "page-c", "property": "children"},
            "inputs": [{"id": "page-x", "property": "value", "value": 1}],
            "state": [{"id": "page-y", "property": "value"}], "changedPropIds": []}


def good_pattern():
    return {"output": "page-acked.data", "outputs": {"id": "page-acked", "property": "data"},
            "inputs": [[{"id": {"type": "crowd-ack", "alert": 3}, "property": "n_clicks", "value": 1},
                        {"id": {"alert": 4, "type": "crowd-ack"}, "property": "n_clicks"}]],
            "changedPropIds": ['{"alert":3,"type":"crowd-ack"}.n_clicks'],
            "parsedChangedPropsIds": [{"alert": 3, "type": "crowd-ack"}]}


def test_requests_exactly_as_declared_are_matched_with_their_output_ids():
    assert match(good_multi(), CALLBACK_MAP).output_ids == ("page-a", "page-b")
    assert match(good_state(), CALLBACK_MAP).output_ids == ("page-c",)
    assert match(good_pattern(), CALLBACK_MAP).output_ids == ("page-acked",)


def _mutations():
    def swapped(b):
        b["inputs"].reverse()

    def duplicated(b):
        b["inputs"][1] = dict(b["inputs"][0])

    def extra_input(b):
        b["inputs"].append({"id": "loc", "property": "hash", "value": ""})

    def missing_input(b):
        b["inputs"].pop()

    def as_state(b):
        b["state"], b["inputs"] = b["inputs"], []

    def extra_state(b):
        b["state"] = [{"id": "loc", "property": "pathname", "value": "/admin"}]

    def other_property(b):
        b["inputs"][0]["property"] = "href"

    def pattern_id(b):
        b["inputs"][0]["id"] = {"type": "loc"}

    def output_swapped(b):
        b["outputs"].reverse()

    def output_other_page(b):
        b["outputs"][1] = {"id": "admin-users", "property": "children"}

    def undeclared_output(b):
        b["output"] = "..page-a.children...admin-users.children.."

    def unknown_key(b):
        b["extra"] = 1

    def item_extra_key(b):
        b["inputs"][0]["path"] = [0]

    def changed_not_an_input(b):
        b["changedPropIds"] = ["admin-users.children"]

    def parsed_differs(b):
        b["parsedChangedPropsIds"] = ["loc.search"]

    def outputs_as_dict(b):
        b["outputs"] = b["outputs"][0]

    return [swapped, duplicated, extra_input, missing_input, as_state, extra_state, other_property, pattern_id,
            output_swapped, output_other_page, undeclared_output, unknown_key, item_extra_key,
            changed_not_an_input, parsed_differs, outputs_as_dict]


@pytest.mark.parametrize("mutate", _mutations(), ids=lambda f: f.__name__)
def test_any_difference_from_the_declaration_is_refused(mutate):
    body = good_multi()
    mutate(body)
    with pytest.raises(CallbackMismatch):
        match(body, CALLBACK_MAP)


@pytest.mark.parametrize("mutate", [
    lambda b: b["inputs"][0][0]["id"].update(type="admin-x"),
    lambda b: b["inputs"][0][0]["id"].update(alert={"nested": 1}),
    lambda b: b["inputs"][0][0]["id"].pop("alert"),
    lambda b: b["inputs"].__setitem__(0, b["inputs"][0][0]),
    lambda b: b["inputs"][0].extend([b["inputs"][0][0]] * 1001),
    lambda b: b.__setitem__("parsedChangedPropsIds", [{"alert": 4, "type": "crowd-ack"}]),
])
def test_a_pattern_input_must_fit_its_wildcard(mutate):
    body = good_pattern()
    mutate(body)
    with pytest.raises(CallbackMismatch):
        match(body, CALLBACK_MAP)


def test_state_is_required_when_declared_and_refused_when_not():
    body = good_state()
    del body["state"]
    with pytest.raises(CallbackMismatch):
        match(body, CALLBACK_MAP)


def test_a_clientside_callback_cannot_be_run_on_the_server():
    body = {"output": "page-client.data", "outputs": {"id": "page-client", "property": "data"},
            "inputs": [{"id": "page-x", "property": "value", "value": 1}], "changedPropIds": []}
    with pytest.raises(CallbackMismatch):
        match(body, CALLBACK_MAP)


@pytest.mark.parametrize("raw", [b"", b"[]", b"null", b"{", b"\xff", b'"x"', b"1e999"])
def test_a_body_that_is_not_an_object_is_a_400(raw):
    with pytest.raises(InputError):
        parse_body(raw)


@settings(max_examples=300, derandomize=True, database=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                    max_leaves=20))
def test_no_arbitrary_json_gets_through_except_by_matching(value):
    for base in (good_multi(), good_state(), good_pattern()):
        for key in list(base):
            body = copy.deepcopy(base)
            body[key] = value
            try:
                match(body, CALLBACK_MAP)
            except CallbackMismatch:
                continue
            # Anything accepted must still be exactly the declared shape.
            assert json.dumps(body["outputs"], sort_keys=True) == json.dumps(base["outputs"], sort_keys=True) or \
                key != "outputs"
            if key == "inputs":
                assert [i["id"] for i in body["inputs"]] == [i["id"] for i in base["inputs"]]
