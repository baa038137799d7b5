"""Property-based fuzzing of every HTTP route: the OGC API from its own OpenAPI document, the rest from Flask.

- The OGC API: schemathesis reads ``/ogcapi/api`` (the document partners'
  GIS reads) and generates requests for every operation, valid and invalid
  (negative mode), sent with the partner's token.  No 5xx; a collection the
  partner is not granted is never answered with its features.
- Every other route in Flask's ``url_map`` (``/api/v1/...``, tiles, auth):
  hypothesis draws query strings and JSON bodies (wrong types, sizes, NULs,
  unicode, huge numbers) and path values, for every caller.  No 5xx, and a
  caller the route's declaration does not admit is refused whatever it sends.

Bounded and derandomised, like the callback fuzzer.
"""

from __future__ import annotations

import json

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.fixtures.sharing import DSD_LAYERS
from tests.security.test_fuzz_callbacks import JUNK, NASTY_TEXT

EXAMPLES_PER_OPERATION = 30
EXAMPLES_PER_ROUTE = 25
#: Granted to no one in this world: its features must never reach the partner.
NOT_GRANTED = ("crowd_density", "incidents", "camera_positions")
#: The partner's token and the GIS-facing collections, for schemathesis's path parameters.
COLLECTIONS = ["water_states", "flood_states", "flood_alerts", "rainfall", "crowd_density", "incidents",
               "camera_positions", "crime_risk", "no-such", "../admin", "water_states\x00"]
FUZZ_SETTINGS = settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, database=None, deadline=None,
                         suppress_health_check=list(HealthCheck))


def _ogc_schema(world) -> schemathesis.schemas.BaseSchema:
    document = world.http("partner:token").get(world.base_url + "/ogcapi/api", timeout=30).json()
    return schemathesis.openapi.from_dict(document)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_schemathesis_finds_no_5xx_and_no_ungranted_features_in_the_ogc_api(attack_world, mode):
    world = attack_world
    schema = _ogc_schema(world)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6
    token = {"Authorization": f"Bearer {world.tokens['partner']}"}
    for operation in operations:
        path_parameters = {"collectionId": st.sampled_from(COLLECTIONS)} if "{collectionId}" in operation.path \
            else None

        @FUZZ_SETTINGS
        @given(case=operation.as_strategy(mode, path_parameters=path_parameters))
        def run(case):
            response = case.call(base_url=world.base_url + "/ogcapi", headers=token, timeout=60)
            assert response.status_code < 500, (case.as_curl_command(), response.status_code, response.text[:300])
            collection = (case.path_parameters or {}).get("collectionId")
            if collection in NOT_GRANTED and response.status_code == 200:
                pytest.fail(f"{collection} answered 200 to a partner without its grant: {case.as_curl_command()}")

        run()


def _routes(server) -> list[tuple[object, object]]:
    # Dash's plumbing (scripts, layout, callbacks: fuzzed elsewhere), static assets, and the OGC API (schemathesis).
    skip_prefixes = ("/_", "/assets/", "/ogcapi")
    routes = []
    for rule in server.url_map.iter_rules():
        if rule.rule in ("/", "/<path:path>") or rule.rule.startswith(skip_prefixes):
            continue
        routes.append((rule, server.view_functions[rule.endpoint]))
    return routes


def _admits(world, caller: str, view, method: str) -> bool:
    """Independent reading of a route's declaration for one caller (tokens need the declared scope)."""
    from hexops.services.accounts import TOKEN_SCOPES

    roles = getattr(view, "_hexops_roles", None)
    if roles is None:
        return False
    if "__public__" in roles:
        return True
    role, _, via = caller.partition(":")
    if caller == "guest" or role not in roles:
        return False
    scope = getattr(view, "_hexops_scope", None)
    if via == "token" and (scope is None or (scope != "__any_scope__" and scope not in TOKEN_SCOPES[role])):
        return False
    layer = getattr(view, "_hexops_layer", None)
    return role != "partner" or layer is None or layer in DSD_LAYERS


PATH_VALUES = {"int": st.one_of(st.integers(0, 2 ** 63), st.just(1)),
               "default": st.one_of(st.sampled_from(COLLECTIONS), st.text(min_size=1, max_size=20).filter(
                   lambda t: "/" not in t and t not in (".", "..")))}
QUERY_KEYS = ["res", "metric", "start", "end", "since", "until", "actor", "action", "plans", "datetime", "v",
              "bbox", "limit", "offset", "resolution", "next", "f"]


def test_no_route_answers_5xx_or_admits_a_caller_its_declaration_does_not(attack_world):
    world = attack_world
    routes = _routes(world.server)
    assert len(routes) >= 15
    callers = [c for c in world.callers]
    problems: list[str] = []
    for rule, view in routes:
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        converters = {name: type(conv).__name__ for name, conv in rule._converters.items()}
        path_strategy = st.fixed_dictionaries({
            name: PATH_VALUES["int"] if "Integer" in kind else PATH_VALUES["default"]
            for name, kind in converters.items()})

        @settings(FUZZ_SETTINGS, max_examples=EXAMPLES_PER_ROUTE)
        @given(caller=st.sampled_from(callers), method=st.sampled_from(methods), args=path_strategy,
               query=st.dictionaries(st.sampled_from(QUERY_KEYS) | st.text(max_size=8),
                                     st.sampled_from(NASTY_TEXT) | st.text(max_size=30), max_size=4),
               body=JUNK)
        def run(caller, method, args, query, body):
            if rule.rule.startswith("/auth/logout") and ":" not in caller and caller != "guest":
                return  # signing the shared sessions out would prove nothing and break the next examples
            path = rule.build(args, append_unknown=False)[1]
            if "/../" in path:
                return  # the client resolves the dot segment first: another route (or none) answers
            http = world.http(caller)
            kwargs = {"params": query, "timeout": 60, "allow_redirects": False}
            if method != "GET":
                kwargs.update(data=json.dumps(body), headers={"Content-Type": "application/json"})
            response = http.request(method, world.base_url + path, **kwargs)
            response.close()
            assert response.status_code < 500, (method, path, caller, query, response.text[:300])
            if not _admits(world, caller, view, method):
                assert response.status_code in (401, 403), (method, path, caller, response.status_code)

        try:
            run()
        except AssertionError as failure:
            problems.append(f"{rule.rule}: {failure}")
    assert not problems, "\n".join(problems)


def test_the_ogc_api_document_is_what_a_partners_gis_reads(attack_world):
    response = attack_world.http("partner:token").get(attack_world.base_url + "/ogcapi/api", timeout=30)
    assert response.status_code == 200 and response.json()["openapi"].startswith("3.0")
    assert requests.get(attack_world.base_url + "/ogcapi/api", timeout=30).status_code == 401
