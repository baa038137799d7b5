"""One Flask error handler: HexopsError -> its status and message; anything else -> a logged 500 with no internals."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from hexops import errors as hx
from hexops.dashboard import errors


@pytest.fixture
def client():
    app = Flask("t")
    errors.install(app)

    @app.route("/api/v1/raise/<kind>")
    @app.route("/page/raise/<kind>")
    def boom(kind):
        if kind == "input":
            raise hx.InputError("count: must be >= 0", field="count")
        if kind == "forbidden":
            raise hx.ForbiddenError("not yours")
        if kind == "notfound":
            raise hx.NotFoundError("no plan 7", field="plan_id")
        if kind == "conflict":
            raise hx.ConflictError("held clip")
        if kind == "unavailable":
            raise hx.UnavailableError("database down")
        raise RuntimeError("SELECT secret FROM /srv/hexops/keys; password=hunter2")

    return app.test_client()


@pytest.mark.parametrize("kind, status", [("input", 400), ("forbidden", 403), ("notfound", 404),
                                          ("conflict", 409), ("unavailable", 503)])
def test_a_hexops_error_answers_its_status_and_names_its_field(client, kind, status):
    api = client.get(f"/api/v1/raise/{kind}")
    page = client.get(f"/page/raise/{kind}", headers={"Accept": "text/html"})
    assert api.status_code == status and api.is_json and api.json["error"]
    assert page.status_code == status and page.mimetype == "text/html" and f'id="error-{status}"' in page.text
    if kind == "input":
        assert api.json == {"error": "count: must be >= 0", "field": "count"}


def test_an_unexpected_exception_is_a_500_that_shows_nothing_but_a_logged_reference(client, caplog):
    with caplog.at_level(logging.ERROR, logger="hexops.web"):
        api = client.get("/api/v1/raise/bug")
        page = client.get("/page/raise/bug", headers={"Accept": "text/html"})
    for response in (api, page):
        assert response.status_code == 500
        assert "hunter2" not in response.text and "SELECT" not in response.text and "Traceback" not in response.text
    reference = api.json["error"].split("reference ")[1].split(")")[0]
    assert any(reference in r.getMessage() and r.exc_info for r in caplog.records)


def test_flasks_own_errors_are_themed_or_json(client):
    assert client.get("/nowhere", headers={"Accept": "text/html"}).text.count('id="error-404"') == 1
    assert client.get("/api/v1/nowhere").json["error"]
    wrong = client.post("/api/v1/raise/input")
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
