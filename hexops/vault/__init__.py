"""The clip vault: encrypted raw video that forgets on schedule.

- :mod:`vault.crypto` -- the chunked AES-256-GCM clip format.
- :mod:`vault.keys` -- the key-encryption key and the receipt signing key (outside the database).
- :mod:`vault.store` -- put and get clips (audited, role-checked).
- :mod:`vault.holds` -- evidence holds (held clips are re-keyed under the hold).
- :mod:`vault.retention` -- crypto-shredding sweep with Ed25519-signed receipts.
- :mod:`vault.rotation` -- KEK rotation (re-wraps data keys only).
"""
