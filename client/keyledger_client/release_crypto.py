"""Opening a downloaded release file on this device, in memory. A download is this device's grant
(``release_grant``) followed by the sealed file exactly as the server stores it:

    sealed  = "KLST" ‖ 0x01 ‖ segment size (u32) ‖ salt (32 bytes) ‖ segment_0 ‖ segment_1 ‖ …
    key     = HKDF-SHA256(IKM = data key, salt = salt, info = "keyledger/file/v1" ‖ the 41-byte header)
    nonce_i = 7 zero bytes ‖ i (u32) ‖ 01 for the last segment, else 00
    segment_i = AES-256-GCM(key, nonce_i, plaintext_i), every plaintext_i but the last of segment size

Written from docs/file-format.md; the client imports none of the server's packages. Plaintext is yielded,
never written to disk here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keyledger_client.errors import ReleaseRejected
from keyledger_client.release_grant import (
    PREFIX_LENGTH,
    DeviceSecret,
    ExpectedRelease,
    grant_length,
    open_grant,
)

HEADER_LENGTH = 41
TAG_LENGTH = 16
_MAGIC = b"KLST\x01"
_KDF_LABEL = b"keyledger/file/v1"
HASH_BATCH = 8  # segments hashed per hand-over to the hashing thread: 512 KiB at 64 KiB


def decrypt_release(
    device_key: DeviceSecret, download: Iterable[bytes], expected: ExpectedRelease, now: datetime
) -> Iterator[bytes]:
    """The release's plaintext, one segment at a time, from the download's chunks (a resumed download is
    one stream). The grant is opened before this returns; the last segment is yielded only once the whole
    plaintext's SHA-256 matches ``expected.sha256``. Raises :class:`ReleaseRejected` (possibly after some
    segments): a caller commits nothing until the iterator ends."""
    reader = _Reader(download)
    prefix = reader.exact(PREFIX_LENGTH)
    grant = prefix + reader.exact(grant_length(prefix) - PREFIX_LENGTH)
    data_key = open_grant(device_key, grant, expected, now)
    header = reader.exact(HEADER_LENGTH)
    return _verified(_segments(data_key, header, reader.rest()), expected.sha256)


def _segments(data_key: bytes, header: bytes, body: Iterator[bytes]) -> Iterator[bytes]:
    segment_size = int.from_bytes(header[5:9], "big")
    if header[:5] != _MAGIC or not 64 <= segment_size <= 1 << 20:
        raise ReleaseRejected("the file is not a Keyledger sealed file")
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=header[9:], info=_KDF_LABEL + header)
    cipher = AESGCM(kdf.derive(data_key))
    for index, sealed, last in _cut(body, segment_size + TAG_LENGTH):
        if index >= 1 << 32 or (last and index > 0 and len(sealed) == TAG_LENGTH):
            raise ReleaseRejected("the file has a malformed segment sequence")
        nonce = bytes(7) + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")
        try:
            yield cipher.decrypt(nonce, sealed, None)
        except InvalidTag:
            raise ReleaseRejected(f"segment {index} of the file is damaged, reordered or truncated") from None


def _verified(segments: Iterator[bytes], sha256: bytes) -> Iterator[bytes]:
    """The segments, the last one held back until the SHA-256 of all of them matches. SHA-256 is the
    slower half of the work, so it runs on a second thread (hashlib and AES-GCM both release the GIL),
    a batch of segments at a time while the next batch is decrypted (tests/bench/w8_files.py)."""
    digest, held, batch, pending = hashlib.sha256(), b"", [], None
    with ThreadPoolExecutor(1, thread_name_prefix="sha256") as hasher:
        for segment in segments:
            if held:
                yield held
            batch.append(segment)
            held = segment
            if len(batch) == HASH_BATCH:
                pending = _hash_after(hasher, pending, digest, batch)
                batch = []
        _hash_after(hasher, pending, digest, batch).result()
    if not hmac.compare_digest(digest.digest(), sha256):
        raise ReleaseRejected("the file decrypts, but its SHA-256 is not the release's")
    if held:
        yield held


def _hash_after(
    hasher: ThreadPoolExecutor, pending: Future[None] | None, digest: Any, batch: list[bytes]
) -> Future[None]:
    """Hashes ``batch`` on the hasher once the batch before it is hashed (the order is the file's)."""
    if pending is not None:
        pending.result()
    return hasher.submit(_update, digest, batch)


def _update(digest: Any, batch: list[bytes]) -> None:
    for piece in batch:
        digest.update(piece)


def _cut(chunks: Iterator[bytes], size: int) -> Iterator[tuple[int, bytes, bool]]:
    """Numbered pieces of ``size`` bytes; a piece is released once a byte after it is seen, so the final
    one is known to be last. Each byte is copied into the buffer once and out of it once."""
    buffer, index = bytearray(), 0
    for chunk in chunks:
        buffer += chunk
        start = 0
        while len(buffer) - start > size:
            with memoryview(buffer) as view:
                piece = bytes(view[start : start + size])
            yield index, piece, False
            start, index = start + size, index + 1
        del buffer[:start]
    yield index, bytes(buffer), True


class _Reader:
    """Exact-size reads from the front of a chunk stream, then the rest of it."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = bytearray()

    def exact(self, size: int) -> bytes:
        while len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                raise ReleaseRejected("the download ends before its headers do")
            self._buffer += chunk
        piece = bytes(self._buffer[:size])
        del self._buffer[:size]
        return piece

    def rest(self) -> Iterator[bytes]:
        if self._buffer:
            yield bytes(self._buffer)
        yield from self._chunks
