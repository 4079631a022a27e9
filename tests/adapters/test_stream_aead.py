"""STREAM sealing of release files: round trips, and every kind of tampering refused with TamperedFile."""

from __future__ import annotations

import io
from collections.abc import Iterable
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.stream_aead import (
    HEADER_LENGTH,
    SEGMENT_SIZE,
    TAG_LENGTH,
    StreamHeader,
    TamperedFile,
    ciphertext_length,
    new_data_key,
    read_chunks,
    seal,
    unseal,
)
from tests.adapters.strategies import (
    Sealed,
    chunk_sizes,
    data_keys,
    fixed_salt,
    seal_bytes,
    sealed_files,
    split,
)

KEY = bytes(range(32))


def opened(data_key: bytes, ciphertext: Iterable[bytes]) -> bytes:
    return b"".join(unseal(data_key, ciphertext))


def refused(data_key: bytes, ciphertext: bytes) -> bool:
    try:
        opened(data_key, [ciphertext])
    except TamperedFile:
        return True
    return False


def boundaries(sealed: Sealed) -> list[int]:
    """The offset of every segment's end in the sealed file (the last one is the file's end)."""
    step = sealed.segment_size + TAG_LENGTH
    return [HEADER_LENGTH + step * i for i in range(1, sealed.segments)] + [len(sealed.ciphertext)]


@pytest.mark.parametrize(
    "size", [0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 3 * SEGMENT_SIZE, 3 * SEGMENT_SIZE + 7]
)
def test_round_trip_at_the_segment_edges(size: int) -> None:
    """Files of 0, 1, a segment ± 1 and several segments come back byte for byte, at their exact size."""
    plaintext = bytes(i % 251 for i in range(size))
    key = new_data_key()
    ciphertext = b"".join(seal(key, split(plaintext, 10_000)))
    assert len(ciphertext) == ciphertext_length(size)
    assert opened(key, split(ciphertext, 9_999)) == plaintext


@given(sealed_files(), chunk_sizes(), chunk_sizes())
def test_round_trip_however_the_streams_are_cut(sealed: Sealed, cut_in: int, cut_out: int) -> None:
    """The sealed bytes do not depend on how the plaintext arrives, nor the plaintext on how they do."""
    salt = fixed_salt(StreamHeader.decode(sealed.ciphertext[:HEADER_LENGTH]).salt)
    pieces = seal(
        sealed.data_key, split(sealed.plaintext, cut_in), segment_size=sealed.segment_size, randbytes=salt
    )
    again = b"".join(pieces)
    assert again == sealed.ciphertext
    assert opened(sealed.data_key, split(sealed.ciphertext, cut_out)) == sealed.plaintext


def test_an_empty_file_is_one_empty_last_segment() -> None:
    """An empty plaintext seals to the header and a single tag, which opens to nothing."""
    ciphertext = seal_bytes(KEY, b"", 64)
    assert len(ciphertext) == HEADER_LENGTH + TAG_LENGTH
    assert opened(KEY, [ciphertext]) == b""


def test_a_file_object_is_read_in_chunks() -> None:
    """A binary file object is a plaintext source through read_chunks."""
    ciphertext = b"".join(seal(KEY, read_chunks(io.BytesIO(b"x" * 1000), 7), segment_size=64))
    assert opened(KEY, [ciphertext]) == b"x" * 1000


@given(sealed_files(), st.data())
def test_any_single_byte_change_is_refused(sealed: Sealed, data: st.DataObject) -> None:
    """Changing any one byte, in the header or the body, makes the file refuse to open."""
    position = data.draw(st.integers(0, len(sealed.ciphertext) - 1))
    mask = data.draw(st.integers(1, 255))
    damaged = bytearray(sealed.ciphertext)
    damaged[position] ^= mask
    assert refused(sealed.data_key, bytes(damaged))


@given(sealed_files())
def test_truncation_at_every_segment_boundary_is_refused(sealed: Sealed) -> None:
    """A file cut right after any segment but the last is refused: the last-segment flag is missing."""
    for end in boundaries(sealed)[:-1]:
        assert refused(sealed.data_key, sealed.ciphertext[:end])


@given(sealed_files(), st.data())
def test_truncation_anywhere_is_refused(sealed: Sealed, data: st.DataObject) -> None:
    """A file cut at any point, inside the header or inside a segment, is refused."""
    end = data.draw(st.integers(0, len(sealed.ciphertext) - 1))
    assert refused(sealed.data_key, sealed.ciphertext[:end])


@given(sealed_files(), st.binary(min_size=1, max_size=200))
def test_extension_is_refused(sealed: Sealed, tail: bytes) -> None:
    """Bytes appended after the last segment are refused."""
    assert refused(sealed.data_key, sealed.ciphertext + tail)


@given(sealed_files(min_segments=2), st.data())
def test_swapping_two_segments_is_refused(sealed: Sealed, data: st.DataObject) -> None:
    """Two full segments exchanged (or the last moved) make the file refuse to open."""
    pieces = segments_of(sealed)
    i, j = data.draw(st.lists(st.integers(0, len(pieces) - 1), min_size=2, max_size=2, unique=True))
    pieces[i], pieces[j] = pieces[j], pieces[i]
    assert refused(sealed.data_key, sealed.ciphertext[:HEADER_LENGTH] + b"".join(pieces))


@given(sealed_files(min_segments=3), st.data())
def test_dropping_a_middle_segment_is_refused(sealed: Sealed, data: st.DataObject) -> None:
    """Removing a segment that is neither first nor last is refused."""
    pieces = segments_of(sealed)
    del pieces[data.draw(st.integers(1, len(pieces) - 2))]
    assert refused(sealed.data_key, sealed.ciphertext[:HEADER_LENGTH] + b"".join(pieces))


@given(sealed_files(min_segments=2), st.booleans(), st.data())
def test_a_segment_spliced_from_another_file_is_refused(
    sealed: Sealed, same_key: bool, data: st.DataObject
) -> None:
    """A segment taken from another file, sealed under the same data key or another, at the same position,
    is refused: each file's segment key is derived from its own random salt."""
    key = sealed.data_key if same_key else bytes(b ^ 1 for b in sealed.data_key)
    other = Sealed(
        key, sealed.segment_size, sealed.plaintext, seal_bytes(key, sealed.plaintext, sealed.segment_size)
    )
    pieces, foreign = segments_of(sealed), segments_of(other)
    i = data.draw(st.integers(0, len(pieces) - 1))
    pieces[i] = foreign[i]
    assert refused(sealed.data_key, sealed.ciphertext[:HEADER_LENGTH] + b"".join(pieces))


@given(sealed_files())
def test_the_header_of_another_file_is_refused(sealed: Sealed) -> None:
    """The body of a file behind another file's header (same data key, same segment size) is refused."""
    other = seal_bytes(sealed.data_key, sealed.plaintext, sealed.segment_size)
    assert refused(sealed.data_key, other[:HEADER_LENGTH] + sealed.ciphertext[HEADER_LENGTH:])


@given(st.binary(max_size=63), st.integers(65, 1 << 20))
def test_the_segment_size_is_authenticated(plaintext: bytes, other_size: int) -> None:
    """A one-segment file relabelled with another segment size (same cut, same tags) is still refused."""
    ciphertext = seal_bytes(KEY, plaintext, 64)
    relabelled = ciphertext[:5] + other_size.to_bytes(4, "big") + ciphertext[9:]
    assert refused(KEY, relabelled)


@given(sealed_files(), data_keys())
def test_another_data_key_is_refused(sealed: Sealed, key: bytes) -> None:
    """A file does not open under any key but its own."""
    if key != sealed.data_key:
        assert refused(key, sealed.ciphertext)


@given(st.binary(max_size=600))
def test_arbitrary_bytes_are_refused_cleanly(junk: bytes) -> None:
    """Any byte string given as a sealed file fails with TamperedFile and nothing else."""
    assert refused(KEY, junk)


@given(st.binary(min_size=HEADER_LENGTH, max_size=HEADER_LENGTH))
def test_header_decoding_accepts_only_headers(raw: bytes) -> None:
    """Decoding 41 arbitrary bytes gives a header that encodes back to them, or TamperedFile."""
    try:
        header = StreamHeader.decode(raw)
    except TamperedFile:
        return
    assert header.encode() == raw


@pytest.mark.parametrize(("key", "size"), [(b"short", 64), (KEY, 63), (KEY, (1 << 20) + 1)])
def test_sealing_refuses_bad_parameters(key: bytes, size: int) -> None:
    """A data key that is not 32 bytes, or a segment size out of 64 B…1 MiB, is refused before any output."""
    with pytest.raises(ValueError, match=r"data key|segment size"):
        seal(key, [b"x"], segment_size=size)


def segments_of(sealed: Sealed) -> list[bytes]:
    edges = [HEADER_LENGTH, *boundaries(sealed)]
    return [sealed.ciphertext[start:end] for start, end in pairwise(edges)]
