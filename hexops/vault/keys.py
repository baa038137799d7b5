"""Key material kept outside the database: the key-encryption key and the receipt signing key.

- The **key-encryption key** (KEK, 32 bytes) wraps every data key the database
  holds.  It comes from ``HEXOPS_VAULT_KEK`` (64 hex characters) or from a file
  (``HEXOPS_VAULT_KEK_FILE``, default ``<state_dir>/vault/kek``, created with
  mode 0600 on first use so a demo needs no setup).  A database dump without it
  decrypts nothing.
- The **signing key** (Ed25519) signs retention receipts; from
  ``HEXOPS_VAULT_SIGNING_KEY`` (64 hex characters, the raw private key) or
  ``<state_dir>/vault/signing_key``.
- The **audit key** (32 bytes) seals audit rows and checkpoints
  (:mod:`geodata.audit`); from ``HEXOPS_AUDIT_KEY`` or ``<state_dir>/vault/audit_key``.

Wrapping is AES-256-GCM with a random nonce and the key's identity (kind,
camera, day or hold) as associated data, so a wrapped key row moved onto
another camera's day fails to unwrap.  The wrapping key is derived (HKDF-SHA256)
from the KEK *and* a period key held outside the database
(:mod:`vault.keystore`), so destroying the period key makes every copy of
the wrapped row -- WAL, backups -- useless even to someone holding the KEK.
Rows wrapped before period keys existed (``period`` NULL) unwrap under the
KEK alone until ``hexops vault rotate-kek`` re-wraps them.  Each KEK has a short public id
(a SHA-256 prefix) stored beside what it wrapped, which turns "wrong KEK"
into a clear message rather than a bare authentication failure.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hexops.settings import Settings
from hexops.vault.errors import VaultError, WrongKek
from hexops.vault.keystore import KeyStore

_WRAP_NONCE = 12
_WRAP_LABEL = b"hexops.datakey/1|"


def kek_id_of(kek: bytes) -> str:
    """The public identity of a KEK: 16 hex characters of SHA-256 over a label and the key."""
    return hashlib.sha256(b"hexops.kek-id/1|" + kek).hexdigest()[:16]


@dataclass(frozen=True)
class Kek:
    """A key-encryption key and where it came from (for error messages)."""
    key: bytes
    source: str

    @property
    def kek_id(self) -> str:
        return kek_id_of(self.key)

    def _wrapping_key(self, period_key: bytes | None) -> bytes:
        if period_key is None:
            return self.key  # rows wrapped before period keys existed
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                    info=b"hexops.datakey-wrap/2").derive(self.key + period_key)

    def wrap(self, data_key: bytes, context: str, *, period_key: bytes) -> bytes:
        """Wrap a 32-byte data key under this KEK and ``period_key``.

        ``context`` (e.g. ``day:CAM-1:2026-11-01``) is bound to it; so is the
        period key, without which (once destroyed) it never unwraps again.
        """
        if len(period_key) != 32:
            raise VaultError("wrap: a period key is 32 bytes")
        nonce = os.urandom(_WRAP_NONCE)
        return nonce + AESGCM(self._wrapping_key(period_key)).encrypt(nonce, data_key,
                                                                      _WRAP_LABEL + context.encode())

    def unwrap(self, wrapped: bytes, context: str, kek_id: str | None = None, *,
               period_key: bytes | None = None) -> bytes:
        """Unwrap a data key wrapped by :meth:`wrap` under the same context and period key.

        ``period_key`` None unwraps a row made before period keys (KEK alone).

        Raises
        ------
        WrongKek
            When ``kek_id`` (recorded at wrap time) is not this KEK's id, or the
            wrapped key does not authenticate under this KEK, period key and context.
        """
        if kek_id is not None and kek_id != self.kek_id:
            raise WrongKek(
                f"key {context} was wrapped by KEK {kek_id}, but the KEK from {self.source} is "
                f"{self.kek_id}: set HEXOPS_VAULT_KEK or HEXOPS_VAULT_KEK_FILE to the right key"
            )
        try:
            return AESGCM(self._wrapping_key(period_key)).decrypt(wrapped[:_WRAP_NONCE], wrapped[_WRAP_NONCE:],
                                                                  _WRAP_LABEL + context.encode())
        except InvalidTag:
            raise WrongKek(
                f"key {context} does not unwrap with the KEK from {self.source} "
                "(wrong KEK or period key, or the wrapped key row was altered or moved)"
            ) from None


def _parse_hex_key(text: str, source: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise VaultError(f"{source}: expected 64 hex characters (a 32-byte key)") from None
    if len(key) != 32:
        raise VaultError(f"{source}: expected a 32-byte key, got {len(key)} bytes")
    return key


def _private_file(path: Path, make: callable) -> str:
    """Read ``path``, creating it (mode 0600, atomically) with ``make()`` if missing."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(make())
        try:
            os.link(tmp, path)  # fails if another process created it first: keep theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text()


def load_kek(settings: Settings, create: bool = True) -> Kek:
    """The KEK from ``HEXOPS_VAULT_KEK``, ``HEXOPS_VAULT_KEK_FILE`` or ``state_dir/vault/kek``."""
    if settings.vault_kek:
        return Kek(_parse_hex_key(settings.vault_kek, "HEXOPS_VAULT_KEK"), "HEXOPS_VAULT_KEK")
    path = Path(settings.vault_kek_file or settings.state_dir / "vault" / "kek")
    if not path.exists() and not create:
        raise VaultError(f"{path}: no key-encryption key (set HEXOPS_VAULT_KEK or HEXOPS_VAULT_KEK_FILE)")
    if not path.exists() and settings.vault_kek_file:
        raise VaultError(f"{path}: HEXOPS_VAULT_KEK_FILE names a file that does not exist")
    text = _private_file(path, lambda: os.urandom(32).hex() + "\n")
    return Kek(_parse_hex_key(text, str(path)), str(path))


def load_kek_file(path: Path) -> Kek:
    """A KEK read from an explicit file (for rotation)."""
    if not path.exists():
        raise VaultError(f"{path}: no such key file")
    return Kek(_parse_hex_key(path.read_text(), str(path)), str(path))


def new_kek_file(path: Path) -> Kek:
    """Write a fresh random KEK to ``path`` (mode 0600; refuses to overwrite)."""
    if path.exists():
        raise VaultError(f"{path}: already exists; refusing to overwrite a key")
    return Kek(_parse_hex_key(_private_file(path, lambda: os.urandom(32).hex() + "\n"), str(path)), str(path))


def load_signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The Ed25519 receipt-signing key (``HEXOPS_VAULT_SIGNING_KEY`` or ``state_dir/vault/signing_key``)."""
    if settings.vault_signing_key:
        raw = _parse_hex_key(settings.vault_signing_key, "HEXOPS_VAULT_SIGNING_KEY")
    else:
        path = settings.state_dir / "vault" / "signing_key"
        raw = _parse_hex_key(_private_file(path, lambda: os.urandom(32).hex() + "\n"), str(path))
    return Ed25519PrivateKey.from_private_bytes(raw)


def load_keystore(settings: Settings):
    """The period-key store: ``HEXOPS_VAULT_KEYSTORE_DIR`` or ``<state_dir>/vault/keystore``."""
    return KeyStore(Path(settings.vault_keystore_dir or settings.state_dir / "vault" / "keystore"))


def load_audit_key(settings: Settings) -> bytes:
    """The audit sealing key (32 bytes): ``HEXOPS_AUDIT_KEY`` or ``state_dir/vault/audit_key``.

    It lives with the vault keys, outside the database, so that nobody who
    can only rewrite the database can seal a forged audit row.
    """
    if settings.audit_key:
        return _parse_hex_key(settings.audit_key, "HEXOPS_AUDIT_KEY")
    path = settings.state_dir / "vault" / "audit_key"
    return _parse_hex_key(_private_file(path, lambda: os.urandom(32).hex() + "\n"), str(path))


def public_key_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw 32-byte Ed25519 public key as hex (published with each receipt)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
