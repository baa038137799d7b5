"""Ed25519-signed deletion receipts.

A receipt is a JSON object; its signature covers the canonical encoding
(sorted keys, no spaces, UTF-8), so anyone holding the published public key
can check that a receipt read back from the audit log is the one the
retention job wrote.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hexops.vault.keys import public_key_hex

SCHEMA = "hexops.retention-receipt/2"


def canonical(receipt: dict[str, Any]) -> bytes:
    return json.dumps(receipt, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(items: Iterable[str]) -> str:
    """SHA-256 over the sorted items, one per line: lets an auditor check a list against a receipt."""
    h = hashlib.sha256()
    for item in sorted(items):
        h.update(item.encode("utf-8") + b"\n")
    return h.hexdigest()


def sign(receipt: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """``{"receipt": ..., "signature": hex, "public_key": hex}`` for the audit log."""
    return {"receipt": receipt, "signature": key.sign(canonical(receipt)).hex(), "public_key": public_key_hex(key)}


def verify(signed: dict[str, Any], public_key: str | None = None) -> bool:
    """True when ``signed["signature"]`` is valid for its receipt.

    Parameters
    ----------
    public_key : str, optional
        Hex of the expected Ed25519 public key; without it the key carried in
        the record is used (which proves integrity, not who signed).
    """
    key_hex = public_key or signed.get("public_key", "")
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key_hex))
        key.verify(bytes.fromhex(signed["signature"]), canonical(signed["receipt"]))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False
    return True
