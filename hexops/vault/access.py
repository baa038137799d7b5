"""Who may do what with the vault.

The vault acts for a named user (``--user`` or ``HEXOPS_USER`` on the CLI);
the user's role comes from the accounts table through a lookup function, so
tests can hand in a fake lookup and the vault never needs to know how
accounts are stored.
"""

from __future__ import annotations

from typing import Callable

import psycopg

from hexops.vault.errors import AccessDenied

#: Watching raw footage is the most intrusive thing hexops allows: commanders
#: (operational need) and admins only.  Partners and event managers see
#: aggregates, never video; devices only upload.
VIEW_ROLES = frozenset({"commander", "admin"})
#: Evidence holds change what the law says we must delete: admins and commanders.
HOLD_ROLES = frozenset({"commander", "admin"})

RoleLookup = Callable[[psycopg.Connection, str], "str | None"]


def require_role(conn: psycopg.Connection, lookup: RoleLookup, username: str | None,
                 allowed: frozenset[str], what: str) -> str:
    """Return the user's role if it is in ``allowed``; raise :class:`AccessDenied` otherwise."""
    if not username:
        raise AccessDenied(f"{what}: no user given (use --user NAME or set HEXOPS_USER)")
    role = lookup(conn, username)
    if role is None:
        raise AccessDenied(f"{what}: user {username!r} is unknown or disabled")
    if role not in allowed:
        raise AccessDenied(
            f"{what}: user {username!r} has role {role!r}; needs one of {', '.join(sorted(allowed))}"
        )
    return role
