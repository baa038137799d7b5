"""Key wrapping under the KEK, KEK loading, and signed receipts."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hexops.settings import Settings
from hexops.vault import keys, receipts
from hexops.vault.errors import VaultError, WrongKek


PERIOD = os.urandom(32)


def test_a_wrapped_key_unwraps_under_the_same_kek_period_key_and_context():
    kek = keys.Kek(os.urandom(32), "test")
    data_key = os.urandom(32)
    wrapped = kek.wrap(data_key, "day:CAM-1:2026-11-01", period_key=PERIOD)
    assert kek.unwrap(wrapped, "day:CAM-1:2026-11-01", kek.kek_id, period_key=PERIOD) == data_key


def test_without_its_period_key_a_wrapped_key_never_unwraps_even_with_the_kek():
    kek = keys.Kek(os.urandom(32), "test")
    wrapped = kek.wrap(os.urandom(32), "day:CAM-1:2026-11-01", period_key=PERIOD)
    for other in (None, os.urandom(32)):
        with pytest.raises(WrongKek):
            kek.unwrap(wrapped, "day:CAM-1:2026-11-01", kek.kek_id, period_key=other)


def test_a_wrong_kek_fails_clearly_naming_both_kek_ids():
    right, wrong = keys.Kek(os.urandom(32), "right"), keys.Kek(os.urandom(32), "/etc/wrong-kek")
    wrapped = right.wrap(os.urandom(32), "day:CAM-1:2026-11-01", period_key=PERIOD)
    with pytest.raises(WrongKek, match=f"wrapped by KEK {right.kek_id}.*/etc/wrong-kek is {wrong.kek_id}"):
        wrong.unwrap(wrapped, "day:CAM-1:2026-11-01", right.kek_id, period_key=PERIOD)
    with pytest.raises(WrongKek, match="does not unwrap"):
        wrong.unwrap(wrapped, "day:CAM-1:2026-11-01", period_key=PERIOD)


def test_a_wrapped_key_moved_to_another_camera_day_does_not_unwrap():
    kek = keys.Kek(os.urandom(32), "test")
    wrapped = kek.wrap(os.urandom(32), "day:CAM-1:2026-11-01", period_key=PERIOD)
    with pytest.raises(WrongKek):
        kek.unwrap(wrapped, "day:CAM-2:2026-11-01", kek.kek_id, period_key=PERIOD)


def _settings(state_dir, name=None, value=None):
    env = {"HEXOPS_STATE_DIR": str(state_dir)}
    if name:
        env[name] = value
    return Settings.from_env(env)


def test_the_kek_is_created_once_with_private_permissions_and_then_reused(tmp_path):
    first = keys.load_kek(_settings(tmp_path))
    again = keys.load_kek(_settings(tmp_path))
    assert first.key == again.key
    assert (tmp_path / "vault" / "kek").stat().st_mode & 0o777 == 0o600


def test_the_kek_from_the_environment_wins_and_bad_hex_is_named(tmp_path):
    key = os.urandom(32)
    assert keys.load_kek(_settings(tmp_path, "HEXOPS_VAULT_KEK", key.hex())).key == key
    with pytest.raises(VaultError, match="HEXOPS_VAULT_KEK: expected 64 hex"):
        keys.load_kek(_settings(tmp_path, "HEXOPS_VAULT_KEK", "not-hex"))


def test_a_missing_kek_file_named_in_the_environment_is_an_error_not_a_new_key(tmp_path):
    with pytest.raises(VaultError, match="does not exist"):
        keys.load_kek(_settings(tmp_path, "HEXOPS_VAULT_KEK_FILE", str(tmp_path / "nope")))


def test_a_signed_receipt_verifies_and_any_edit_breaks_it():
    signing = Ed25519PrivateKey.generate()
    signed = receipts.sign({"clips_deleted": 3, "keys_sha256": "ab"}, signing)
    assert receipts.verify(signed, keys.public_key_hex(signing))
    edited = {**signed, "receipt": {**signed["receipt"], "clips_deleted": 2}}
    assert not receipts.verify(edited, keys.public_key_hex(signing))


def test_a_receipt_signed_by_another_key_fails_against_the_published_key():
    signed = receipts.sign({"clips_deleted": 1}, Ed25519PrivateKey.generate())
    assert receipts.verify(signed)
    assert not receipts.verify(signed, keys.public_key_hex(Ed25519PrivateKey.generate()))


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


_KEK = keys.Kek(bytes(range(32)), "property")


@settings(max_examples=50, deadline=None)
@given(data_key=st.binary(min_size=32, max_size=32), context=st.text(min_size=1, max_size=80),
       other=st.text(min_size=1, max_size=80))
def test_any_data_key_unwraps_only_under_its_own_context(data_key, context, other):
    wrapped = _KEK.wrap(data_key, context, period_key=PERIOD)
    assert _KEK.unwrap(wrapped, context, _KEK.kek_id, period_key=PERIOD) == data_key
    if other != context:
        with pytest.raises(WrongKek):
            _KEK.unwrap(wrapped, other, _KEK.kek_id, period_key=PERIOD)
