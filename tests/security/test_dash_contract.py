"""What the access layer relies on in Dash, each pinned so a Dash upgrade that changes it fails here.

Dash is pinned to one minor release in pyproject.toml; these tests say what
must still hold before the pin is moved:

- ``app.callback_map``: keyed by the renderer's ``output`` string; entries
  carry ``inputs`` and ``state`` as ``{"id", "property"}`` dicts in
  declaration order, ``output`` as the ``Output`` object(s) and
  ``callback`` for server-side callbacks only (callback_guard);
- dependency ids as :func:`dash._utils.stringify_id` writes them (pattern ids
  as sorted JSON with wildcards as ``["ALL"]``);
- the renderer's request body keys (``output``, ``outputs``, ``inputs``,
  ``state``, ``changedPropIds``, ``parsedChangedPropsIds``);
- ``dash.page_registry`` entries with ``path``, ``path_template``,
  ``relative_path``, ``layout``, ``title`` (paths, router);
- Dash's index served by the ``/`` and ``/<path:path>`` rules (access);
- ``Dash.csp_hashes()`` covering the inline scripts of the index (headers);
- Dash's own page router registered with ``_pages_content`` outputs, which no
  hexops page owns, so it stays refused (router).
"""

from __future__ import annotations

import json
import re
import tempfile
from importlib.metadata import version
from pathlib import Path

import dash
import pytest
from dash import ALL, Input, Output, State


@pytest.fixture(scope="module")
def app():
    from hexops.bootstrap import AppContext
    from hexops.dashboard import create_app
    from hexops.settings import Settings

    context = AppContext(Settings(state_dir=Path(tempfile.mkdtemp(prefix="hexops-contract-")),
                                  database_url="postgresql://nobody@127.0.0.1:1/none"))
    app = create_app(context)
    app.server.test_client().get("/_dash-layout")  # the first request registers every callback
    yield app
    context.close()


def test_dash_is_the_pinned_minor_release():
    assert version("dash").startswith("3.4."), "move the pin in pyproject.toml only after these tests pass"


def test_callback_map_entries_carry_what_the_guard_reads(app):
    entry = app.callback_map["..shell-page.children...shell-title.data.."]
    assert entry["inputs"] == [{"id": "shell-location", "property": "pathname"},
                               {"id": "shell-location", "property": "search"}]
    assert entry["state"] == [] and callable(entry["callback"])
    outputs = entry["output"]
    assert [(o.component_id_str(), o.component_property, o.allow_duplicate) for o in outputs] == \
        [("shell-page", "children", False), ("shell-title", "data", False)]
    single = app.callback_map["map-cell.children"]
    assert single["output"].component_id_str() == "map-cell" and "callback" in single
    clientside = app.callback_map["shell-title-set.data"]
    assert "callback" not in clientside  # a clientside callback has no server function to run


def test_pattern_ids_are_sorted_json_with_wildcards_as_lists():
    from dash._utils import stringify_id

    assert stringify_id({"type": "crowd-ack", "alert": ALL}) == '{"alert":["ALL"],"type":"crowd-ack"}'
    dep = Input({"type": "crowd-ack", "alert": ALL}, "n_clicks")
    assert json.loads(dep.to_dict()["id"]) == {"alert": ["ALL"], "type": "crowd-ack"}
    assert State("a", "value").to_dict() == {"id": "a", "property": "value"}
    assert Output("a", "data", allow_duplicate=True).allow_duplicate


def test_the_renderer_sends_the_body_keys_the_guard_accepts():
    bundle = (Path(dash.__file__).parent / "dash-renderer" / "build" / "dash_renderer.dev.js").read_text()
    payload = re.search(r"payload = \{\s*output,\s*outputs:.*?state:.*?\n\s*\};", bundle, re.S)
    assert payload, "the renderer's callback payload moved: re-read it and update callback_guard"
    keys = set(re.findall(r"^\s*(\w+)\b", payload.group(0)[len("payload = {"):], re.M))
    from hexops.dashboard.callback_guard import _BODY_KEYS

    assert keys == set(_BODY_KEYS), keys


def test_the_page_registry_has_the_keys_paths_and_router_read(app):
    for page in dash.page_registry.values():
        assert {"path", "path_template", "relative_path", "layout", "title", "module"} <= set(page), page["module"]
        assert "allowed_roles" in page and "id_prefix" in page, f"{page['module']} declares no access"


def test_dash_serves_its_index_from_the_two_rules_access_treats_as_page_loads(app):
    rules = {rule.rule: rule.endpoint for rule in app.server.url_map.iter_rules()}
    assert rules["/"] and rules["/<path:path>"]
    assert app.server.view_functions[rules["/"]].__func__ is dash.Dash.index


def test_csp_hashes_cover_every_inline_script_of_the_index(app):
    import base64
    import hashlib

    page = app.server.test_client().get("/login").get_data(as_text=True)
    hashes = set(app.csp_hashes())
    scripts = [m.group(2) for m in re.finditer(r"<script([^>]*)>(.*?)</script>", page, re.S)
               if "src=" not in m.group(1) and "application/json" not in m.group(1)
               and "Internet Explorer" not in m.group(2)]
    assert scripts
    for script in scripts:
        assert f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'" in hashes


def test_dashs_own_router_is_registered_and_owned_by_no_page(app):
    from hexops.dashboard import access

    routers = [key for key in app.callback_map if "_pages_content" in key]
    assert routers, "Dash no longer registers its page router: the refusal test may be moot"
    for key in routers:
        ids = [o.component_id_str() for o in app.callback_map[key]["output"]]
        assert access.callback_owner(ids) is None
