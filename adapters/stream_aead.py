"""Files sealed once, at upload: the STREAM construction (Hoang, Reyhanitabar, Rogaway and Vizár, "Online
authenticated-encryption and its nonce-reuse misuse-resistance", as used by age and Tink) over AES-256-GCM.

    header  = "KLST" ‖ version 0x01 ‖ segment size (u32) ‖ salt (32 random bytes)              41 bytes
    key     = HKDF-SHA256(IKM = data key, salt = salt, info = "keyledger/file/v1" ‖ header)      32 bytes
    nonce_i = 00 00 00 00 00 00 00 ‖ i (u32) ‖ 01 if segment i is the last, else 00             12 bytes
    file    = header ‖ AES-256-GCM(key, nonce_0, segment_0) ‖ AES-256-GCM(key, nonce_1, segment_1) ‖ …

Every segment but the last holds exactly ``segment size`` plaintext bytes; the last holds 1 to ``segment
size`` bytes, or none when the file is empty. Integers are big-endian. docs/file-format.md is the full
specification; this module, the client's ``release_crypto`` and the test's independent decryptor follow it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"KLST"
VERSION = 1
HEADER_LENGTH = 41
SALT_LENGTH = 32
DATA_KEY_LENGTH = 32
TAG_LENGTH = 16
SEGMENT_SIZE = 64 * 1024
MIN_SEGMENT_SIZE = 64
MAX_SEGMENT_SIZE = 1 << 20
MAX_SEGMENTS = 1 << 32
KDF_LABEL = b"keyledger/file/v1"
_NONCE_PREFIX = bytes(7)


class TamperedFile(ValueError):
    """Ciphertext that is not exactly what was sealed under this data key: a changed byte, a truncation, an
    extension, reordered or spliced segments, or a header that is not a Keyledger stream header."""


@dataclass(frozen=True)
class StreamHeader:
    segment_size: int
    salt: bytes

    def encode(self) -> bytes:
        return MAGIC + bytes([VERSION]) + self.segment_size.to_bytes(4, "big") + self.salt

    @classmethod
    def decode(cls, raw: bytes) -> StreamHeader:
        """The header at the front of a sealed file; :class:`TamperedFile` if it is not one."""
        if len(raw) != HEADER_LENGTH or raw[:4] != MAGIC or raw[4] != VERSION:
            raise TamperedFile("not a Keyledger stream header (length, magic or version)")
        segment_size = int.from_bytes(raw[5:9], "big")
        if not MIN_SEGMENT_SIZE <= segment_size <= MAX_SEGMENT_SIZE:
            raise TamperedFile(f"segment size {segment_size} is out of range")
        return cls(segment_size, raw[9:])


def new_data_key() -> bytes:
    """A fresh random 256-bit data key, one per file."""
    return AESGCM.generate_key(bit_length=256)


def ciphertext_length(plaintext_length: int, segment_size: int = SEGMENT_SIZE) -> int:
    """The exact size of the sealed file for a plaintext of ``plaintext_length`` bytes."""
    segments = max(1, -(-plaintext_length // segment_size))
    return HEADER_LENGTH + plaintext_length + segments * TAG_LENGTH


def read_chunks(file: BinaryIO, size: int = SEGMENT_SIZE) -> Iterator[bytes]:
    """A binary file object as a stream of chunks of at most ``size`` bytes."""
    return iter(lambda: file.read(size), b"")


def seal(
    data_key: bytes,
    plaintext: Iterable[bytes],
    *,
    segment_size: int = SEGMENT_SIZE,
    randbytes: Callable[[int], bytes] = secrets.token_bytes,
) -> Iterator[bytes]:
    """The sealed file as a stream (the header, then one piece per segment), read from ``plaintext`` in
    constant memory. ``randbytes`` draws the salt; pass another one only to reproduce a test vector."""
    if not MIN_SEGMENT_SIZE <= segment_size <= MAX_SEGMENT_SIZE:
        raise ValueError(f"segment size {segment_size} is out of range")
    header = StreamHeader(segment_size, randbytes(SALT_LENGTH)).encode()
    return _seal_segments(header, _segment_cipher(data_key, header), plaintext, segment_size)


def unseal(data_key: bytes, ciphertext: Iterable[bytes]) -> Iterator[bytes]:
    """The plaintext of a sealed file, one piece per segment, in constant memory. Raises
    :class:`TamperedFile` at the first segment that does not authenticate: what was yielded before
    is authentic but may be incomplete, so a consumer commits nothing until the iterator ends."""
    chunks = iter(ciphertext)
    start = _take_header(chunks)
    header = StreamHeader.decode(bytes(start[:HEADER_LENGTH]))
    cipher = _segment_cipher(data_key, header.encode())
    body = chain([bytes(start[HEADER_LENGTH:])], chunks)
    for index, segment, last in _cut(body, header.segment_size + TAG_LENGTH):
        yield _open_segment(cipher, index, segment, last)


def _seal_segments(header: bytes, cipher: AESGCM, plaintext: Iterable[bytes], size: int) -> Iterator[bytes]:
    yield header
    for index, segment, last in _cut(plaintext, size):
        if index >= MAX_SEGMENTS:
            raise ValueError("a file holds at most 2**32 segments")
        yield cipher.encrypt(_nonce(index, last), segment, None)


def _take_header(chunks: Iterator[bytes]) -> bytearray:
    start = bytearray()
    for chunk in chunks:
        start += chunk
        if len(start) >= HEADER_LENGTH:
            break
    return start


def _segment_cipher(data_key: bytes, header: bytes) -> AESGCM:
    if len(data_key) != DATA_KEY_LENGTH:
        raise ValueError(f"a data key is {DATA_KEY_LENGTH} bytes")
    salt = header[HEADER_LENGTH - SALT_LENGTH :]
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=KDF_LABEL + header)
    return AESGCM(kdf.derive(data_key))


def _nonce(index: int, last: bool) -> bytes:
    return _NONCE_PREFIX + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def _open_segment(cipher: AESGCM, index: int, segment: bytes, last: bool) -> bytes:
    if index >= MAX_SEGMENTS:
        raise TamperedFile("more than 2**32 segments")
    if last and index > 0 and len(segment) == TAG_LENGTH:
        raise TamperedFile("an empty last segment after others")
    try:
        return cipher.decrypt(_nonce(index, last), segment, None)
    except InvalidTag:
        where = "the last segment" if last else f"segment {index}"
        raise TamperedFile(f"{where} does not authenticate: the file is damaged or truncated") from None


def _cut(chunks: Iterable[bytes], size: int) -> Iterator[tuple[int, bytes, bool]]:
    """The stream in numbered pieces of ``size`` bytes, the last (shorter or not) flagged; a piece is only
    released once a byte after it is seen, so at most one piece and one chunk are held at a time. Each
    byte is copied into the buffer once and out of it once."""
    buffer = bytearray()
    index = 0
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
