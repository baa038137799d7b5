"""Which page owns a Dash callback, and so which roles may call it."""

from __future__ import annotations


def test_a_callback_id_belongs_to_the_page_with_the_longest_matching_prefix(monkeypatch):
    import dash

    from hexops.dashboard import access

    registry = {
        "a": {"id_prefix": "admin", "allowed_roles": ["admin"], "layers": []},
        "b": {"id_prefix": "admin-help", "allowed_roles": ["commander", "admin"], "layers": []},
        "c": {"id_prefix": "nolist"},
    }
    monkeypatch.setattr(dash, "page_registry", registry)
    for ids, expected in ((["admin-help-text"], ["admin", "commander"]), (["admin-users"], ["admin"]),
                          (["nolist-x"], None), (["stray"], None), (["admin-help-text", "admin-users"], ["admin"]),
                          (["admin-users", "stray"], None), (["shell-page"], [access.PUBLIC])):
        page = access.callback_owner(ids)
        assert (sorted(page["allowed_roles"]) if page else None) == expected, ids
