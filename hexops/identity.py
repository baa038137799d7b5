"""Who is asking: the roles hexops knows and the signed-in :class:`User`.

Used by services (accounts, sharing, vault) and by the web layer's access
control alike, so it lives below both and imports neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: People's roles, and ``device`` for edge gateways that post detections
#: with a department's token (never a person, never a page).
ROLES: tuple[str, ...] = ("commander", "event_manager", "partner", "admin", "device")


@dataclass(frozen=True)
class User:
    """A signed-in person or machine.

    Attributes
    ----------
    username : str
    role : str
        One of :data:`ROLES`.
    department : str or None
        Department code (``DSD`` for the Drainage Services Department).
    layers : frozenset of str
        Layers currently granted to the user's department (partners only).
    scopes : frozenset of str
        For API tokens: what the token may do (``detections:write``, ...).
    """

    username: str
    role: str
    department: str | None = None
    layers: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    via_token: bool = False
