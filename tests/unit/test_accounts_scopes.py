"""Token scopes: one vocabulary (hexops.identity.SCOPES) for issuing and for routes."""

from __future__ import annotations

import pytest

from hexops.identity import SCOPES
from hexops.services import accounts
from hexops.services.accounts import TOKEN_SCOPES, AccountError
from tests.fakes import FakeUnitOfWork


def test_every_route_scope_is_one_a_token_can_be_issued_for(tmp_path):
    from hexops.bootstrap import AppContext
    from hexops.dashboard import create_app
    from hexops.dashboard.access import ANY_SCOPE
    from hexops.settings import Settings

    app = create_app(AppContext(Settings(state_dir=tmp_path, database_url="postgresql:///unused")))
    used = {getattr(view, "_hexops_scope", None) for view in app.server.view_functions.values()}
    assert used - {None, ANY_SCOPE} <= set(SCOPES), used - set(SCOPES)
    assert {"audit:read", "metrics:read", "layers:read"} <= used


def test_demo_tokens_hold_only_known_scopes_and_the_admin_can_export_the_audit_log():
    for scopes in TOKEN_SCOPES.values():
        assert scopes and set(scopes) <= set(SCOPES)
    assert "audit:read" in TOKEN_SCOPES["admin"]


@pytest.mark.parametrize("scopes", [["admin"], ["layers:read", "layers:write"], []])
def test_issuing_an_unknown_or_empty_scope_is_refused_naming_the_field(scopes):
    with pytest.raises(AccountError) as caught:
        accounts.issue_token(FakeUnitOfWork(), "someone", "api", scopes, 30)
    assert caught.value.field == "scopes"
