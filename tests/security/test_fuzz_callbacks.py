"""Property-based fuzzing of every Dash callback's declared inputs, for every kind of caller.

The callbacks are walked from ``/_dash-dependencies`` (what the browser is
told), so a callback added tomorrow is fuzzed without editing this file.
Each example sends one well-formed request (the declared ids, properties
and order) whose values are drawn from the page's own values (options and
defaults read from the rendered layouts, so the callbacks' deep paths run)
mixed with wrong types, sizes, NUL bytes, odd unicode and huge numbers, as
a guest, each role's password session, and each role's token.  It must
never answer 5xx, a caller the page does not admit must be refused, and no
answer to anyone but an admin may carry the admin or vault pages' data.

Bounded and derandomised (the same examples every run, no example
database), so it costs about a minute and fails the same way twice.
"""

from __future__ import annotations

import json
from typing import Any

import dash
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.dash_calls import call_body, rendered_ids, router_body, server_callbacks
from tests.security.conftest import ADMIN_SECRETS, COMMANDER_MARKERS, VAULT_MARKERS

EXAMPLES_PER_CALLBACK = 60
NASTY_TEXT = ["", " ", "\x00", "a\x00b", "' OR 1=1 --", "../../etc/passwd", "<script>alert(1)</script>",
              "\u202egnp.exe", "\U0001d573\U0001d58a\U0001d59d", "9" * 400, "1e999", "NaN", "-1", "2026-13-45",
              "2026-02-30T25:00+08:00", "8928308280fffff", "89411c1a4b3ffff", "/admin", "//evil.example", "%00",
              "x" * 5000, "\ud7ff\ue000", "0x10", "True", "null"]
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2 ** 80), max_value=2 ** 80)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40) | st.sampled_from(NASTY_TEXT),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
ROLES_OF = {"guest": None, "commander": "commander", "event_manager": "event_manager", "partner": "partner",
            "admin": "admin"}


def _props(node: Any, found: dict[tuple[str, str], list]) -> None:
    """Collect each component's own values (value, options, date, data ...) from a rendered layout."""
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and isinstance(props.get("id"), str):
            for prop, value in props.items():
                if prop in ("children", "id", "style", "className"):
                    continue
                found.setdefault((props["id"], prop), []).append(value)
            for option in props.get("options") or []:
                if isinstance(option, dict) and "value" in option:
                    found.setdefault((props["id"], "value"), []).append(option["value"])
        for value in node.values():
            _props(value, found)
    elif isinstance(node, list):
        for value in node:
            _props(value, found)


def _page_values(world) -> dict[tuple[str, str], list]:
    found: dict[tuple[str, str], list] = {}
    for page in dash.page_registry.values():
        if "<" not in page["path"]:
            answer = world.http("admin").post(world.base_url + "/_dash-update-component",
                                              json=router_body(page["path"]), timeout=60)
            _props(answer.json(), found)
    return found


def _input_values(deps: list[dict], known: dict) -> st.SearchStrategy:
    strategies = []
    for dep in deps:
        samples = [v for v in known.get((dep["id"], dep["property"]), []) if v is not None]
        strategies.append(st.one_of(st.sampled_from(samples), JUNK) if samples else JUNK)
    return st.tuples(*strategies)


def _owners(output: str) -> list[dict] | None:
    """The pages owning a callback's outputs (None: the shell's router, public)."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    ids = [p.rpartition(".")[0] for p in parts]
    ids = [str(json.loads(i).get("type", "")) if i.startswith("{") else i for i in ids]
    if all(i.startswith("shell-") for i in ids):
        return None
    owners = []
    for component in ids:
        pages = [p for p in dash.page_registry.values() if p.get("id_prefix") and (
            component == p["id_prefix"] or component.startswith(p["id_prefix"] + "-"))]
        owners.append(max(pages, key=lambda p: len(p["id_prefix"])) if pages else None)
    return owners


def _admitted(world, caller: str, owners: list[dict] | None) -> bool:
    if owners is None:
        return True
    if ":" in caller or caller == "guest" or None in owners:
        return False  # tokens drive no page; guests open none but the sign-in page
    role = ROLES_OF[caller]
    if any(role not in p["allowed_roles"] for p in owners):
        return False
    if role == "partner":
        # Read live: the admin's fuzzed callbacks may have changed the department's grants.
        layers = set(world.http("partner").get(world.base_url + "/api/v1/whoami", timeout=30).json()["layers"])
        return all(layer in layers for p in owners for layer in p.get("layers") or [])
    return True


def _may_see(caller: str, text: str) -> list[str]:
    """Markers in ``text`` that ``caller`` must not see."""
    forbidden = [] if caller == "admin" else list(ADMIN_SECRETS + VAULT_MARKERS)
    if caller not in ("admin", "commander"):
        forbidden += COMMANDER_MARKERS
    return [m for m in forbidden if m in text]


def test_no_callback_answers_5xx_or_data_to_a_caller_its_page_does_not_admit(attack_world):
    world = attack_world
    callbacks = server_callbacks(requests.get(world.base_url + "/_dash-dependencies", timeout=30).json())
    assert len(callbacks) >= 12
    known = _page_values(world)
    callers = world.callers
    url = world.base_url + "/_dash-update-component"
    seen_statuses: dict[str, set[int]] = {}

    for output, spec in sorted(callbacks.items()):
        owners = _owners(output)
        # Half the examples come from callers the page admits, so the callbacks' own code is fuzzed too.
        admitted = [c for c in callers if ":" not in c and c != "guest"
                    and (owners is None or (None not in owners
                                            and all(ROLES_OF[c] in p["allowed_roles"] for p in owners)))]

        @settings(max_examples=EXAMPLES_PER_CALLBACK, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(caller=st.one_of(st.sampled_from(admitted or callers), st.sampled_from(callers)),
               inputs=_input_values(spec["inputs"], known),
               state=_input_values(spec["state"], known),
               pattern=st.lists(st.one_of(st.integers(-5, 10 ** 12), st.text(max_size=5), st.booleans()),
                                max_size=3))
        def run(caller, inputs, state, pattern):
            body = call_body(spec, dict(enumerate(inputs)), dict(enumerate(state)), pattern_items=pattern)
            response = world.http(caller).post(url, data=json.dumps(body), timeout=60,
                                               headers={"Content-Type": "application/json"})
            seen_statuses.setdefault(output, set()).add(response.status_code)
            assert response.status_code < 500, (output, caller, body, response.text[:300])
            if _admitted(world, caller, owners):
                assert response.status_code in (200, 204, 400), (output, caller, response.status_code,
                                                                  response.text[:300])
            else:
                assert response.status_code in (401, 403), (output, caller, response.status_code)
            assert not _may_see(caller, response.text), (output, caller, _may_see(caller, response.text))

        run()
    # The fuzzing reached the callbacks themselves, not only the access layer's refusals.
    reached = {o for o, statuses in seen_statuses.items() if statuses & {200, 204, 400}}
    owned = {o for o in callbacks if _owners(o) is None or None not in _owners(o)}
    assert owned - reached == set(), owned - reached  # Dash's own router, owned by no page, stays refused


def test_the_router_never_renders_a_page_to_someone_who_may_not_open_it(attack_world):
    world = attack_world
    pages = [p["path"] for p in dash.page_registry.values() if "<" not in p["path"]]
    markers = {"/admin": "admin-users", "/admin/vault": "vault-status", "/commander": "commander-plan",
               "/events": "crowd-zones", "/drainage": "drainage-crews", "/": "map-cell"}

    @settings(max_examples=120, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(caller=st.sampled_from(world.callers),
           path=st.one_of(st.sampled_from(pages), st.sampled_from(pages).map(lambda p: p + "/"),
                          st.sampled_from(pages).map(lambda p: "/" + p), st.sampled_from(pages).map(str.upper),
                          st.text(max_size=30).map(lambda t: "/" + t), JUNK),
           search=st.one_of(st.none(), st.text(max_size=60).map(lambda t: "?" + t), JUNK))
    def run(caller, path, search):
        response = world.http(caller).post(world.base_url + "/_dash-update-component",
                                           data=json.dumps(router_body(path, search)), timeout=60,
                                           headers={"Content-Type": "application/json"})
        assert response.status_code in (200, 400), (caller, path, search, response.status_code)
        if response.status_code != 200:
            return
        shown = rendered_ids(response.json())
        for page_path, marker in markers.items():
            if marker in shown:
                page = next(p for p in dash.page_registry.values() if p["path"] == page_path)
                assert ":" not in caller and ROLES_OF[caller] in page["allowed_roles"], (caller, path, page_path)
        assert not _may_see(caller, response.text)

    run()
