"""Sealing and opening run in constant memory: 64 MiB pass through with a peak of a few segments."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import Iterator

from adapters.stream_aead import SEGMENT_SIZE, new_data_key, seal, unseal

MIB = 1024 * 1024
TOTAL = 64 * MIB
BLOCK = bytes(range(256)) * (MIB // 256)


def plaintext() -> Iterator[bytes]:
    """64 MiB as 1 MiB chunks that all share one buffer, so the source itself allocates nothing."""
    for _ in range(TOTAL // MIB):
        yield BLOCK


def test_64_mib_stream_through_seal_and_unseal_in_constant_memory() -> None:
    """Piping 64 MiB through seal then unseal allocates at most ~4 MiB at once (under 1/16 of the data)."""
    key = new_data_key()
    expected = hashlib.sha256()
    for chunk in plaintext():
        expected.update(chunk)
    digest, size = hashlib.sha256(), 0
    tracemalloc.start()
    try:
        for piece in unseal(key, seal(key, plaintext())):
            digest.update(piece)
            size += len(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (size, digest.digest()) == (TOTAL, expected.digest())
    assert peak < 4 * MIB, f"peak {peak / MIB:.1f} MiB for segments of {SEGMENT_SIZE // 1024} KiB"
