"""The audit log (who, what, when, why): appending, reading and verifying.

Every part of hexops that must leave a record calls :func:`record` inside
its own transaction, so the record commits or rolls back with the action.
The hash chain itself is kept by the database (migration 032): a BEFORE
INSERT trigger links each row to its predecessor, and UPDATE, DELETE and
TRUNCATE are refused.  :func:`verify_chain` recomputes every link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

#: Columns of an audit entry as read back and exported, in order.
COLUMNS: tuple[str, ...] = (
    "audit_id", "chain_seq", "at", "actor", "action", "target", "reason", "details", "row_hash",
)


def record(
    conn: psycopg.Connection,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Append one audit entry; returns its id.

    Parameters
    ----------
    conn : psycopg.Connection
        The caller's connection; the entry is part of its transaction.
        Extending the chain takes a lock held until that transaction ends,
        so record near the end of a long transaction, not at its start.
    actor : str
        User name, token name or ``system:<job>``.
    action : str
        Dotted verb, e.g. ``login.success``, ``partner.read``, ``clip.view``,
        ``grant.change``, ``retention.run``.
    """
    row = conn.execute(
        "INSERT INTO audit_log (actor, action, target, reason, details) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING audit_id",
        (actor, action, target, reason, Jsonb(details or {})),
    ).fetchone()
    return int(row[0])


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`verify_chain`.

    Attributes
    ----------
    rows : int
        Rows checked.
    ok : bool
        True when every row's hash and every link matched.
    first_bad_seq : int or None
        Chain position of the first row that fails, if any.
    first_bad_audit_id : int or None
    problem : str or None
        What is wrong there, in words.
    head_hash : str or None
        Hex hash of the last row: record it elsewhere to detect a truncated tail.
    """

    rows: int
    ok: bool
    first_bad_seq: int | None = None
    first_bad_audit_id: int | None = None
    problem: str | None = None
    head_hash: str | None = None


_CHECK_CHAIN = """
WITH chain AS (
    SELECT audit_id, chain_seq, prev_hash, row_hash,
           hexops_audit_hash(prev_hash, chain_seq, audit_id, at, actor, action,
                             target, reason, details) AS computed,
           lag(row_hash) OVER w AS before_hash,
           lag(chain_seq) OVER w AS before_seq
      FROM audit_log
    WINDOW w AS (ORDER BY chain_seq)
)
SELECT chain_seq, audit_id,
       CASE
         WHEN row_hash <> computed THEN 'row content does not match its hash (edited)'
         WHEN coalesce(before_seq, 0) <> chain_seq - 1 THEN
              'chain position(s) ' || (coalesce(before_seq, 0) + 1) || '..' || (chain_seq - 1)
              || ' missing (deleted)'
         WHEN prev_hash <> coalesce(before_hash, hexops_audit_genesis()) THEN
              'link to the previous row broken (previous row deleted or rewritten)'
       END AS problem
  FROM chain
 WHERE row_hash <> computed
    OR coalesce(before_seq, 0) <> chain_seq - 1
    OR prev_hash <> coalesce(before_hash, hexops_audit_genesis())
 ORDER BY chain_seq
 LIMIT 1
"""


def verify_chain(conn: psycopg.Connection) -> ChainReport:
    """Recompute every row's hash and link; report the first break.

    Deleting the newest rows leaves no trace in the chain itself: compare
    ``head_hash`` with a copy kept elsewhere (``hexops audit verify`` prints it).
    """
    rows, head = conn.execute(
        "SELECT count(*), (SELECT encode(row_hash, 'hex') FROM audit_log "
        "ORDER BY chain_seq DESC LIMIT 1) FROM audit_log"
    ).fetchone()
    bad = conn.execute(_CHECK_CHAIN).fetchone()
    if bad is None:
        return ChainReport(rows=int(rows), ok=True, head_hash=head)
    return ChainReport(rows=int(rows), ok=False, first_bad_seq=int(bad[0]),
                       first_bad_audit_id=int(bad[1]), problem=bad[2], head_hash=head)


def search(
    conn: psycopg.Connection,
    *,
    actor: str | None = None,
    action_prefix: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = 500,
) -> Iterator[dict[str, Any]]:
    """Audit entries matching every given filter, newest first.

    ``action_prefix`` matches dotted verbs by prefix (``login`` finds
    ``login.success`` and ``login.failure``).  ``since``/``until`` bound
    ``at`` (timestamptz, UTC), half-open ``[since, until)``.  ``limit=None``
    streams everything (for CSV export) through a server-side cursor.
    """
    query = (
        "SELECT audit_id, chain_seq, at, actor, action, target, reason, details, "
        "encode(row_hash, 'hex') AS row_hash FROM audit_log "
        "WHERE (%(actor)s::text IS NULL OR actor = %(actor)s) "
        "AND (%(prefix)s::text IS NULL OR action = %(prefix)s OR action LIKE %(prefix_like)s) "
        "AND (%(since)s::timestamptz IS NULL OR at >= %(since)s) "
        "AND (%(until)s::timestamptz IS NULL OR at < %(until)s) "
        "ORDER BY chain_seq DESC LIMIT %(limit)s"
    )
    prefix_like = None
    if action_prefix:
        prefix_like = action_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ".%"
    params = {"actor": actor or None, "prefix": action_prefix or None, "prefix_like": prefix_like,
              "since": since, "until": until, "limit": limit}
    with conn.cursor(name="hexops_audit_search", row_factory=dict_row) as cur:
        cur.execute(query, params)
        yield from cur
