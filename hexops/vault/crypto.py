"""Chunked AES-256-GCM for video clips: hexops's own file format on ``cryptography``.

A clip file is a header followed by sealed chunks::

    header  = MAGIC (8 bytes) | chunk_size (uint32, big-endian) | nonce_prefix (7 random bytes)
    chunk i = AES-256-GCM(key, nonce_i, plaintext_i, ad_i)  ->  ciphertext_i | tag (16 bytes)
    nonce_i = nonce_prefix (7) | i (uint32, big-endian) | last (1 byte: 1 on the final chunk, else 0)
    ad_i    = "hexops.clip/1" | header | len(clip_id) (uint16) | clip_id (UTF-8) | i (uint64)

Every chunk but the last holds exactly ``chunk_size`` plaintext bytes; the last holds
0..chunk_size bytes (an empty clip is one empty final chunk).  This is the STREAM
construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015):

- the counter in the nonce and the index in the associated data make a moved or
  reordered chunk fail its tag;
- the last-chunk flag makes truncation at a chunk boundary fail (the new "last"
  chunk was sealed with flag 0) and appended chunks fail (the real last had flag 1);
- the clip id in the associated data stops a chunk (or a whole file) being passed
  off as another clip under the same day key;
- the header is in the associated data, so its chunk size and prefix cannot be edited.

Decryption only yields a chunk after its tag has verified; callers that write to a
file write to a temporary name and rename only after the last chunk verified.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hexops.vault.errors import TamperedClip, VaultError

MAGIC = b"HXVAULT1"
PREFIX_BYTES = 7
TAG_BYTES = 16
HEADER = struct.Struct(f">{len(MAGIC)}sI{PREFIX_BYTES}s")
#: 1 MiB: big enough that the 16-byte tag and per-call overhead vanish, small
#: enough that a reader holds little unverified data in memory.
DEFAULT_CHUNK_SIZE = 1 << 20
_AD_LABEL = b"hexops.clip/1"
_MAX_CHUNKS = 2**32


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if last else 0)


def _associated(header: bytes, clip_id: bytes, index: int) -> bytes:
    return _AD_LABEL + header + struct.pack(">H", len(clip_id)) + clip_id + struct.pack(">Q", index)


def _read_exact(src: BinaryIO, size: int) -> bytes:
    parts = []
    remaining = size
    while remaining:
        block = src.read(remaining)
        if not block:
            break
        parts.append(block)
        remaining -= len(block)
    return b"".join(parts)


def encrypt_stream(
    key: bytes, clip_id: str, src: BinaryIO, dst: BinaryIO, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> int:
    """Encrypt ``src`` into ``dst`` in the vault format.

    Parameters
    ----------
    key : bytes
        32-byte AES-256 data key.
    clip_id : str
        Bound into every chunk's associated data.
    src, dst : binary file objects
        Plaintext in, clip file out (both streamed; memory use is about two chunks).
    chunk_size : int
        Plaintext bytes per chunk.

    Returns
    -------
    int
        Plaintext bytes encrypted.
    """
    if len(key) != 32:
        raise VaultError(f"clip {clip_id}: data key must be 32 bytes, got {len(key)}")
    if not 0 < chunk_size < 2**31:
        raise VaultError(f"clip {clip_id}: chunk size {chunk_size} out of range")
    aead = AESGCM(key)
    prefix = os.urandom(PREFIX_BYTES)
    header = HEADER.pack(MAGIC, chunk_size, prefix)
    cid = clip_id.encode("utf-8")
    dst.write(header)
    total = 0
    index = 0
    current = _read_exact(src, chunk_size)
    while True:
        # Read one chunk ahead: the last chunk is only known once the next read is empty.
        following = _read_exact(src, chunk_size) if len(current) == chunk_size else b""
        last = not following
        if index >= _MAX_CHUNKS:
            raise VaultError(f"clip {clip_id}: more than {_MAX_CHUNKS} chunks")
        dst.write(aead.encrypt(_nonce(prefix, index, last), current, _associated(header, cid, index)))
        total += len(current)
        if last:
            return total
        current = following
        index += 1


def read_header(src: BinaryIO, clip_id: str) -> tuple[bytes, int, bytes]:
    """Read and check a clip file's header: ``(header bytes, chunk_size, nonce_prefix)``."""
    header = _read_exact(src, HEADER.size)
    if len(header) != HEADER.size:
        raise TamperedClip(f"clip {clip_id}: file is shorter than the vault header")
    magic, chunk_size, prefix = HEADER.unpack(header)
    if magic != MAGIC:
        raise TamperedClip(f"clip {clip_id}: not a hexops vault file (bad magic {magic!r})")
    if chunk_size == 0:
        raise TamperedClip(f"clip {clip_id}: header has a zero chunk size")
    return header, chunk_size, prefix


def decrypt_chunks(key: bytes, clip_id: str, src: BinaryIO) -> Iterator[bytes]:
    """Yield the clip's plaintext chunk by chunk, each only after its tag verified.

    Raises
    ------
    TamperedClip
        On the first chunk that fails (altered, moved, reordered, truncated,
        extended, or another clip's), naming the chunk index.  Nothing of that
        chunk is yielded.
    """
    header, chunk_size, prefix = read_header(src, clip_id)
    aead = AESGCM(key)
    cid = clip_id.encode("utf-8")
    sealed_size = chunk_size + TAG_BYTES
    index = 0
    current = _read_exact(src, sealed_size)
    while True:
        following = _read_exact(src, sealed_size) if len(current) == sealed_size else b""
        last = not following
        if len(current) < TAG_BYTES:
            raise TamperedClip(f"clip {clip_id}: chunk {index} is truncated ({len(current)} bytes)")
        try:
            plain = aead.decrypt(_nonce(prefix, index, last), current, _associated(header, cid, index))
        except InvalidTag:
            raise TamperedClip(
                f"clip {clip_id}: chunk {index} failed authentication "
                "(the file was altered, reordered or truncated, or belongs to another clip)"
            ) from None
        yield plain
        if last:
            return
        current = following
        index += 1


def decrypt_stream(key: bytes, clip_id: str, src: BinaryIO, dst: BinaryIO) -> int:
    """Decrypt a whole clip file into ``dst``; returns the plaintext bytes written."""
    total = 0
    for plain in decrypt_chunks(key, clip_id, src):
        dst.write(plain)
        total += len(plain)
    return total


def reencrypt_stream(
    old_key: bytes, new_key: bytes, clip_id: str, src: BinaryIO, dst: BinaryIO,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> int:
    """Re-key a clip: verify-and-decrypt under ``old_key``, encrypt under ``new_key``.

    Used when an evidence hold takes a clip out of its day key's reach.  The
    plaintext passes through chunk by chunk and is never written to disk.
    """

    class _Verified:
        def __init__(self) -> None:
            self._chunks = decrypt_chunks(old_key, clip_id, src)
            self._buffer = b""

        def read(self, size: int) -> bytes:
            while len(self._buffer) < size:
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._buffer += chunk
            out, self._buffer = self._buffer[:size], self._buffer[size:]
            return out

    return encrypt_stream(new_key, clip_id, _Verified(), dst, chunk_size)
