"""Layer grants to partner departments: granting, revoking, listing (all audited)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from hexops.errors import InputError
from hexops.services import validation


class GrantError(InputError):
    """A grant request naming an unknown department or layer, or a past expiry."""


def grant_layer(uow, department: str, layer: str, expires_at: datetime, *, actor: str,
                reason: str | None = None) -> int:
    """Grant ``layer`` to ``department`` until ``expires_at`` (timezone-aware, UTC stored); audited."""
    if expires_at.tzinfo is None:
        raise GrantError("expires_at: give a timezone-aware time", field="expires_at")
    if expires_at <= datetime.now(timezone.utc):
        raise GrantError("expires_at: must be in the future", field="expires_at")
    try:
        validation.grant_end(expires_at, "expires_at", now=datetime.now(timezone.utc))
        reason = validation.text(reason, "reason")
    except validation.FieldError as exc:
        raise validation.carry(exc, GrantError(str(exc), field=exc.field)) from None
    with uow:
        if department not in uow.grants.department_codes():
            raise GrantError(f"department: no department {department!r}", field="department")
        if layer not in uow.grants.layer_names():
            raise GrantError(f"layer: {layer!r} is not a shared layer", field="layer")
        grant_id = uow.grants.grant(department, layer, expires_at, actor, reason)
        uow.audit.record(actor=actor, action="grant.change", target=f"{department}/{layer}", reason=reason,
                         details={"op": "grant", "grant_id": grant_id, "expires_at": expires_at.isoformat()})
        uow.commit()
    return grant_id


def revoke_grant(uow, grant_id: int, *, actor: str, reason: str | None = None) -> None:
    """Revoke an open grant by id; audited."""
    try:
        grant_id = validation.record_id(grant_id, "grant_id")
        reason = validation.text(reason, "reason")
    except validation.FieldError as exc:
        raise validation.carry(exc, GrantError(str(exc), field=exc.field)) from None
    with uow:
        revoked = uow.grants.revoke(grant_id, actor)
        if revoked is None:
            raise GrantError(f"grant_id: no open grant {grant_id}", field="grant_id")
        uow.audit.record(actor=actor, action="grant.change",
                         target=f"{revoked['department']}/{revoked['layer']}", reason=reason,
                         details={"op": "revoke", "grant_id": grant_id})
        uow.commit()


def list_grants(uow, include_closed: bool = False) -> list[dict[str, Any]]:
    """Grants with a ``live`` flag, by department and layer."""
    with uow:
        return uow.grants.list_grants(include_closed)
