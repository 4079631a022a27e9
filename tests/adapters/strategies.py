"""Hypothesis strategies for sealed files, grants and blobs. (They live beside their tests until the
restructure lands; then they join ``tests/strategies.py``.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from hypothesis import strategies as st

from adapters.stream_aead import MIN_SEGMENT_SIZE, SALT_LENGTH, seal

SMALL_SEGMENTS = (MIN_SEGMENT_SIZE, 100, 256)


@dataclass(frozen=True)
class Sealed:
    """A plaintext, the key and segment size it was sealed with, and the sealed file."""

    data_key: bytes
    segment_size: int
    plaintext: bytes
    ciphertext: bytes

    @property
    def segments(self) -> int:
        return max(1, -(-len(self.plaintext) // self.segment_size))


def fixed_salt(salt: bytes) -> Callable[[int], bytes]:
    """A ``randbytes`` that returns ``salt``: makes sealing reproducible in tests."""
    return lambda size: salt[:size]


def seal_bytes(data_key: bytes, plaintext: bytes, segment_size: int, salt: bytes | None = None) -> bytes:
    """``plaintext`` sealed in one go."""
    if salt is None:
        return b"".join(seal(data_key, [plaintext], segment_size=segment_size))
    return b"".join(seal(data_key, [plaintext], segment_size=segment_size, randbytes=fixed_salt(salt)))


def data_keys() -> st.SearchStrategy[bytes]:
    return st.binary(min_size=32, max_size=32)


def salts() -> st.SearchStrategy[bytes]:
    return st.binary(min_size=SALT_LENGTH, max_size=SALT_LENGTH)


def split(data: bytes, size: int) -> Iterator[bytes]:
    """``data`` in chunks of ``size`` bytes (one empty chunk if there is no data)."""
    yield from (data[i : i + size] for i in range(0, len(data), size)) if data else [b""]


@st.composite
def sealed_files(draw: st.DrawFn, min_segments: int = 1, max_segments: int = 6) -> Sealed:
    """A small file of ``min_segments`` to ``max_segments`` short segments, often ending on or next to a
    segment boundary, and its sealed form."""
    size = draw(st.sampled_from(SMALL_SEGMENTS))
    low, high = (0 if min_segments <= 1 else (min_segments - 1) * size + 1), max_segments * size
    edges = [n for k in range(min_segments, max_segments + 1) for n in (k * size - 1, k * size, k * size + 1)]
    length = draw(st.integers(low, high) | st.sampled_from([n for n in edges if low <= n <= high]))
    plaintext = draw(st.randoms(use_true_random=False)).randbytes(length)
    key = draw(data_keys())
    return Sealed(key, size, plaintext, seal_bytes(key, plaintext, size))


def chunk_sizes() -> st.SearchStrategy[int]:
    """How a stream is cut in transit: one byte at a time up to bigger than a segment."""
    return st.integers(min_value=1, max_value=1000)


def identifiers() -> st.SearchStrategy[str]:
    """File ids, release versions, device ids: short non-empty text."""
    return st.text(min_size=1, max_size=40)


def blob_names() -> st.SearchStrategy[str]:
    return st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,40}", fullmatch=True)
