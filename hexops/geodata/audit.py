"""The audit log (who, what, when, why): appending, reading and verifying.

Every part of hexops that must leave a record calls :func:`record` inside
its own transaction, so the record commits or rolls back with the action.
The hash chain itself is kept by the database (migration 032): a BEFORE
INSERT trigger links each row to its predecessor, and UPDATE, DELETE and
TRUNCATE are refused.  :func:`verify_chain` recomputes every link.

Each row is also *sealed* (migration 036): :func:`record` stores
HMAC-SHA256(key, chain position, row hash) in ``audit_seals``, computed here
with a key the database never sees.  The composition root loads the key
(it lives with the vault keys) and binds it to its pool's connections
(:func:`bind_seal_key`) or to the process (:func:`use_seal_key`).  Someone
who can rewrite the table -- a database superuser -- can re-hash the chain
but cannot seal the result, and :func:`verify_chain` checks every seal.
"""

from __future__ import annotations

import hashlib
import hmac
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterator

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from hexops.errors import IntegrityError

_SEAL_LABEL = b"hexops.audit-seal/1|"
_bound_keys: "weakref.WeakKeyDictionary[psycopg.Connection, bytes | Callable[[], bytes]]" = weakref.WeakKeyDictionary()
_process_key: "bytes | Callable[[], bytes] | None" = None


class AuditKeyMissing(IntegrityError):
    """An audit entry was to be written, but no sealing key is known to this connection or process."""


def use_seal_key(key: "bytes | Callable[[], bytes] | None") -> None:
    """Seal with ``key`` on every connection that has none bound (the process default).

    ``key`` may be a function returning it, called on the first unbound write
    (so a process that never writes an entry never loads the key).
    """
    global _process_key
    _process_key = key


def default_seal_key() -> bytes | None:
    """The process default set by :func:`use_seal_key` (loading it if it was given as a function)."""
    global _process_key
    if callable(_process_key):
        _process_key = _process_key()
    return _process_key


def has_default_seal_key() -> bool:
    """Whether a process default (a key or a function giving one) is set."""
    return _process_key is not None


def bind_seal_key(conn: psycopg.Connection, key: "bytes | Callable[[], bytes]") -> None:
    """Seal what ``conn`` records with ``key``, or with what ``key()`` returns when it first writes
    (a pool's ``configure`` hook calls this)."""
    _bound_keys[conn] = key


def seal_key_of(conn: psycopg.Connection) -> bytes | None:
    """The key :func:`record` seals with on ``conn``: bound to it, else the process default."""
    bound = _bound_keys.get(conn)
    if callable(bound):
        bound = _bound_keys[conn] = bound()
    return bound if bound is not None else default_seal_key()


def seal_mac(key: bytes, chain_seq: int, row_hash: bytes) -> bytes:
    """The seal of the row at ``chain_seq`` with hash ``row_hash`` (32 bytes)."""
    return hmac.new(key, _SEAL_LABEL + int(chain_seq).to_bytes(8, "big") + bytes(row_hash),
                    hashlib.sha256).digest()

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

    Raises
    ------
    AuditKeyMissing
        When no sealing key is bound to ``conn`` or set for the process: an
        unsealed entry would read as forged, so none is written.
    """
    key = seal_key_of(conn)
    if key is None:
        raise AuditKeyMissing(
            f"audit {action}: no audit sealing key on this connection (the composition root "
            "loads it; see hexops.vault.keys.load_audit_key)")
    row = conn.execute(
        "INSERT INTO audit_log (actor, action, target, reason, details) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING audit_id, chain_seq, row_hash",
        (actor, action, target, reason, Jsonb(details or {})),
    ).fetchone()
    conn.execute("INSERT INTO audit_seals (chain_seq, mac) VALUES (%s, %s)",
                 (row[1], seal_mac(key, row[1], row[2])))
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
    head_seq : int or None
        Chain position of the last row.
    sealed : bool
        Whether the seals were checked too (a key was at hand).
    """

    rows: int
    ok: bool
    first_bad_seq: int | None = None
    first_bad_audit_id: int | None = None
    problem: str | None = None
    head_hash: str | None = None
    head_seq: int | None = None
    sealed: bool = False


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


def verify_chain(conn: psycopg.Connection, key: bytes | None = None, check_seals: bool = True) -> ChainReport:
    """Recompute every row's hash and link, and check every seal; report the first break.

    ``key`` defaults to the connection's sealing key; without one (or with
    ``check_seals=False``) only the chain is checked (``sealed`` is False),
    which a superuser can forge.
    Deleting the newest rows with their seals leaves no trace here: the
    checkpoints kept outside the database catch that (``services.audit_chain``).
    """
    key = (key if key is not None else seal_key_of(conn)) if check_seals else None
    rows, head_seq, head = conn.execute(
        "SELECT count(*), max(chain_seq), (SELECT encode(row_hash, 'hex') FROM audit_log "
        "ORDER BY chain_seq DESC LIMIT 1) FROM audit_log"
    ).fetchone()
    found = dict(rows=int(rows), head_hash=head, head_seq=None if head_seq is None else int(head_seq),
                 sealed=key is not None)
    bad = conn.execute(_CHECK_CHAIN).fetchone()
    if bad is None and key is not None:
        bad = _first_bad_seal(conn, key)
    if bad is None:
        return ChainReport(ok=True, **found)
    return ChainReport(ok=False, first_bad_seq=int(bad[0]), first_bad_audit_id=bad[1], problem=bad[2], **found)


def _first_bad_seal(conn: psycopg.Connection, key: bytes) -> tuple[int, int | None, str] | None:
    """``(chain_seq, audit_id, problem)`` of the first row whose seal is missing or wrong, or None."""
    with conn.cursor(name="hexops_audit_seals") as cur:
        cur.itersize = 5000
        cur.execute("SELECT a.chain_seq, a.audit_id, a.row_hash, s.mac FROM audit_log a "
                    "LEFT JOIN audit_seals s USING (chain_seq) ORDER BY a.chain_seq")
        for seq, audit_id, row_hash, mac in cur:
            if mac is None:
                return int(seq), int(audit_id), "row has no seal (written without the audit key, or its seal deleted)"
            if not hmac.compare_digest(bytes(mac), seal_mac(key, seq, row_hash)):
                return (int(seq), int(audit_id),
                        "row does not match its seal (edited and re-hashed by someone without the audit key)")
    orphan = conn.execute(
        "SELECT min(s.chain_seq) FROM audit_seals s "
        "WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.chain_seq = s.chain_seq)").fetchone()[0]
    if orphan is not None:
        return int(orphan), None, f"chain position {orphan} is sealed but has no row (deleted)"
    return None


def row_hash_at(conn: psycopg.Connection, chain_seq: int) -> bytes | None:
    """The stored hash of the row at ``chain_seq``, or None when there is none."""
    row = conn.execute("SELECT row_hash FROM audit_log WHERE chain_seq = %s", (chain_seq,)).fetchone()
    return None if row is None else bytes(row[0])


def head(conn: psycopg.Connection) -> tuple[int, bytes, str] | None:
    """``(chain_seq, row_hash, action)`` of the newest row, or None for an empty log."""
    row = conn.execute("SELECT chain_seq, row_hash, action FROM audit_log ORDER BY chain_seq DESC LIMIT 1").fetchone()
    return None if row is None else (int(row[0]), bytes(row[1]), row[2])


def seal_unsealed(conn: psycopg.Connection, key: bytes) -> int:
    """Seal every row that has no seal (rows written before migration 036); returns how many.

    Trust on first use: run once when upgrading, after checking the chain.
    """
    rows = conn.execute("SELECT a.chain_seq, a.row_hash FROM audit_log a WHERE NOT EXISTS "
                        "(SELECT 1 FROM audit_seals s WHERE s.chain_seq = a.chain_seq) ORDER BY 1").fetchall()
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO audit_seals (chain_seq, mac) VALUES (%s, %s)",
                        [(seq, seal_mac(key, seq, row_hash)) for seq, row_hash in rows])
    return len(rows)


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
