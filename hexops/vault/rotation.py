"""Rotating the key-encryption key: re-wrap every data key, touch no clip file.

The data keys themselves never change, so rotation costs one small UPDATE per
camera-day and hold, inside one transaction: either every key is wrapped by
the new KEK or (on any failure) every key is still wrapped by the old one.
Keys wrapped before period keys existed (``period`` NULL) are re-wrapped
under their period's key as well, which is how an upgraded vault gains
shredding that survives backups (old backups still need the old KEK gone).
"""

from __future__ import annotations

import psycopg

from hexops.geodata import audit
from hexops.geodata import vault as q
from hexops.vault.keys import Kek
from hexops.vault.keystore import KeyStore, day_period, hold_period
from hexops.vault.store import day_key_context, hold_key_context


def rotate_kek(conn: psycopg.Connection, old: Kek, new: Kek, keystore: KeyStore, *, actor: str) -> int:
    """Re-wrap every key from ``old`` to ``new`` in the caller's transaction; returns the count.

    Raises
    ------
    WrongKek
        When a key does not unwrap with ``old`` (nothing is changed).
    KeyDestroyed
        When a key's period key is gone from the key store (nothing is changed).
    """
    keys = q.all_keys_for_update(conn)
    for row in keys:
        if row["kind"] == "day":
            context = day_key_context(row["camera_id"], row["day"])
            period = row["period"] or day_period(row["owner_code"], row["day"])
        else:
            context = hold_key_context(row["hold_id"])
            period = row["period"] or hold_period(row["hold_id"])
        old_period_key = keystore.get(row["period"]) if row["period"] else None
        data_key = old.unwrap(bytes(row["wrapped"]), context, row["kek_id"], period_key=old_period_key)
        wrapped = new.wrap(data_key, context, period_key=keystore.get_or_create(period))
        q.rewrap_key(conn, row["key_id"], new.kek_id, wrapped, period)
    audit.record(conn, actor=actor, action="vault.kek_rotate", target=new.kek_id,
                 details={"from_kek": old.kek_id, "to_kek": new.kek_id, "keys": len(keys)})
    return len(keys)
