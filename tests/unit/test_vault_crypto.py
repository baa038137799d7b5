"""The chunked AES-256-GCM clip format: round trips, and every tampering is caught."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hexops.vault import crypto
from hexops.vault.errors import TamperedClip

KEY = bytes(range(32))
CHUNK = 64
HEADER = crypto.HEADER.size
SEALED = CHUNK + crypto.TAG_BYTES


def seal(data: bytes, clip_id: str = "clip-1", key: bytes = KEY, chunk: int = CHUNK) -> bytes:
    out = io.BytesIO()
    crypto.encrypt_stream(key, clip_id, io.BytesIO(data), out, chunk)
    return out.getvalue()


def open_(blob: bytes, clip_id: str = "clip-1", key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    crypto.decrypt_stream(key, clip_id, io.BytesIO(blob), out)
    return out.getvalue()


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=CHUNK * 5 + 3), st.integers(min_value=1, max_value=CHUNK * 2))
def test_any_clip_decrypts_to_exactly_what_was_encrypted(data, chunk):
    assert open_(seal(data, chunk=chunk)) == data


def test_a_clip_that_is_an_exact_number_of_chunks_round_trips_and_ends_in_a_full_chunk():
    data = os.urandom(CHUNK * 3)
    blob = seal(data)
    assert len(blob) == HEADER + 3 * SEALED
    assert open_(blob) == data


def test_two_encryptions_of_the_same_clip_differ_because_the_nonce_prefix_is_random():
    data = b"x" * 100
    assert seal(data) != seal(data)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_flipping_any_bit_of_the_file_is_detected(data):
    blob = bytearray(seal(os.urandom(CHUNK * 3 + 10)))
    position = data.draw(st.integers(min_value=0, max_value=len(blob) - 1))
    blob[position] ^= 1 << data.draw(st.integers(min_value=0, max_value=7))
    with pytest.raises(TamperedClip):
        open_(bytes(blob))


def test_swapping_two_chunks_is_detected_at_the_first_moved_chunk():
    blob = seal(os.urandom(CHUNK * 3 + 10))
    chunks = [blob[HEADER + i * SEALED: HEADER + (i + 1) * SEALED] for i in range(3)]
    reordered = blob[:HEADER] + chunks[1] + chunks[0] + chunks[2] + blob[HEADER + 3 * SEALED:]
    with pytest.raises(TamperedClip, match="chunk 0"):
        open_(reordered)


def test_truncating_at_a_chunk_boundary_is_detected_by_the_last_chunk_flag():
    blob = seal(os.urandom(CHUNK * 3 + 10))
    with pytest.raises(TamperedClip, match="chunk 1"):
        open_(blob[: HEADER + 2 * SEALED])


def test_truncating_inside_a_chunk_is_detected():
    blob = seal(os.urandom(CHUNK * 3 + 10))
    with pytest.raises(TamperedClip):
        open_(blob[:-5])


def test_appending_a_chunk_from_another_clip_is_detected():
    blob = seal(os.urandom(CHUNK * 2))
    other = seal(os.urandom(CHUNK * 2))
    with pytest.raises(TamperedClip):
        open_(blob + other[HEADER: HEADER + SEALED])


def test_a_file_presented_under_another_clip_id_is_rejected():
    blob = seal(b"evidence", clip_id="clip-1")
    with pytest.raises(TamperedClip):
        open_(blob, clip_id="clip-2")


def test_a_file_decrypted_with_another_key_is_rejected():
    blob = seal(b"evidence")
    with pytest.raises(TamperedClip):
        open_(blob, key=os.urandom(32))


def test_no_chunk_after_a_tampered_one_is_released():
    blob = bytearray(seal(os.urandom(CHUNK * 4)))
    blob[HEADER + 2 * SEALED + 3] ^= 0xFF
    released = []
    with pytest.raises(TamperedClip, match="chunk 2"):
        for chunk in crypto.decrypt_chunks(KEY, "clip-1", io.BytesIO(bytes(blob))):
            released.append(chunk)
    assert len(released) == 2


def test_a_file_without_the_vault_header_is_named_as_such():
    with pytest.raises(TamperedClip, match="not a hexops vault file"):
        open_(b"RIFF" + b"\0" * 40)


def test_reencryption_under_a_new_key_keeps_the_content_and_drops_the_old_key():
    data = os.urandom(CHUNK * 2 + 7)
    new_key = os.urandom(32)
    out = io.BytesIO()
    crypto.reencrypt_stream(KEY, new_key, "clip-1", io.BytesIO(seal(data)), out, CHUNK)
    assert open_(out.getvalue(), key=new_key) == data
    with pytest.raises(TamperedClip):
        open_(out.getvalue(), key=KEY)
