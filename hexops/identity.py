"""Who is asking: the roles hexops knows and the signed-in :class:`User`.

Used by services (accounts, sharing, vault) and by the web layer's access
control alike, so it lives below both and imports neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: People's roles, and ``device`` for edge gateways that post detections
#: with a department's token (never a person, never a page).
ROLES: tuple[str, ...] = ("commander", "event_manager", "partner", "admin", "device")

#: What an API token may be issued for, each with the plain words an admin
#: reads when issuing one. A token also needs its user's role to call a route:
#: a scope narrows what a role may do, never widens it.
SCOPES: dict[str, str] = {
    "layers:read": "read the shared layers (OGC API features and tiles)",
    "map:read": "read the city map's hexes, cameras and explanations",
    "patrol:read": "read patrol plans, dosage and the bias audit",
    "patrol:report": "report patrol visits",
    "rainfall:write": "post rain gauge readings",
    "detections:write": "post camera detection summaries (edge gateways)",
    "audit:read": "export the audit log",
    "metrics:read": "scrape the Prometheus metrics",
}


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
