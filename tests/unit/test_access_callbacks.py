"""Which page owns a Dash callback, and so which roles may call it."""

from __future__ import annotations


def test_a_callback_id_belongs_to_the_page_with_the_longest_matching_prefix(monkeypatch):
    import dash
    from flask import Flask

    from hexops.dashboard import access

    registry = {
        "a": {"id_prefix": "admin", "allowed_roles": ["admin"], "layers": []},
        "b": {"id_prefix": "admin-help", "allowed_roles": ["commander", "admin"], "layers": []},
        "c": {"id_prefix": "nolist"},
    }
    monkeypatch.setattr(dash, "page_registry", registry)
    app = Flask("t")
    for output, expected in (("admin-help-text.children", ["admin", "commander"]),
                             ("admin-users.children", ["admin"]), ("nolist-x.children", None),
                             ("stray.children", None)):
        with app.test_request_context("/_dash-update-component", method="POST", json={"output": output}):
            page = access._page_for_callback()
        assert (sorted(page["allowed_roles"]) if page else None) == expected, output
