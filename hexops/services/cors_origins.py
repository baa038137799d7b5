"""Which web origins may read a department's shared layers from a browser (CORS), managed on ``/admin``.

A partner department's own web application (on its own origin) calls
``/ogcapi`` and ``/tiles`` with the department's bearer token. Browsers let
it read the answers only if they carry ``Access-Control-Allow-Origin``;
hexops sends it only for origins an admin put on that department's list
(:mod:`dashboard.cors`). Every change is audited as ``cors.change``.

Origins are compared exactly as browsers send them: scheme, host and port,
lower case, no path. Only ``https`` -- and ``http`` for loopback hosts,
which development and the tests use -- is accepted: a page on plain
``http`` elsewhere could be altered on its way to the partner's browser.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from hexops.errors import InputError

_LOOPBACK_NAMES = {"localhost"}
_DEFAULT_PORTS = {"https": 443, "http": 80}


class OriginError(InputError):
    """An origin that cannot be put on the list; the message says why."""


def _loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def normalise(text: str | None) -> str:
    """``text`` as a browser's ``Origin`` header would carry it, or :class:`OriginError` naming ``origin``."""
    raw = (text or "").strip()
    if not raw:
        raise OriginError("origin: give one, like https://gis.dsd.example", field="origin")
    if raw.lower() == "null" or "*" in raw:
        raise OriginError("origin: 'null' and wildcards are never allowed; name one origin", field="origin")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise OriginError(f"origin: {raw!r} is not scheme://host[:port]", field="origin") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host or parts.username or parts.password:
        raise OriginError(f"origin: {raw!r} is not http(s)://host[:port]", field="origin")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise OriginError(f"origin: {raw!r} has a path or query; an origin is scheme://host[:port] only",
                          field="origin")
    if scheme == "http" and not _loopback(host):
        raise OriginError(f"origin: {raw!r} is plain http; only https (or http on a loopback host) is allowed",
                          field="origin")
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS[scheme] else "")


def add_origin(uow, department: str, origin: str, *, actor: str, reason: str | None = None) -> int:
    """Put ``origin`` on ``department``'s list; audited. Returns the entry's id."""
    normal = normalise(origin)
    with uow:
        if department not in uow.grants.department_codes():
            raise OriginError(f"department: no department {department!r}", field="department")
        origin_id = uow.cors_origins.add(department, normal, actor, reason)
        if origin_id is None:
            raise OriginError(f"origin: {normal} is already on {department}'s list", field="origin")
        uow.audit.record(actor=actor, action="cors.change", target=f"{department}/{normal}", reason=reason,
                         details={"op": "add", "origin_id": origin_id})
        uow.commit()
    return origin_id


def remove_origin(uow, origin_id: int, *, actor: str, reason: str | None = None) -> None:
    """Take an entry off its department's list by id; audited."""
    with uow:
        removed = uow.cors_origins.remove(origin_id, actor)
        if removed is None:
            raise OriginError(f"origin_id: no entry {origin_id} on any list", field="origin_id")
        uow.audit.record(actor=actor, action="cors.change", target=f"{removed['department']}/{removed['origin']}",
                         reason=reason, details={"op": "remove", "origin_id": origin_id})
        uow.commit()


def list_origins(uow, include_removed: bool = False) -> list[dict[str, Any]]:
    """Entries by department and origin."""
    with uow:
        return uow.cors_origins.list_origins(include_removed)


def departments_allowing(uow, origin: str) -> frozenset[str]:
    """Departments whose list names ``origin`` (as sent by a browser; nothing when it is not normal)."""
    try:
        normal = normalise(origin)
    except OriginError:
        return frozenset()
    if normal != origin:
        return frozenset()
    with uow:
        return uow.cors_origins.departments_allowing(normal)
