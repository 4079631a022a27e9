"""The blob store contract, held by the local directory and the S3 adapter alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.blob_store import BlobNotFound, BlobStore, InvalidBlobName

DATA = bytes(range(256)) * 40  # 10,240 bytes


def read(store: BlobStore, name: str, offset: int = 0, length: int | None = None) -> bytes:
    return b"".join(store.read(name, offset, length))


def failing_after(chunks: int) -> Iterator[bytes]:
    for _ in range(chunks):
        yield DATA
    raise ConnectionResetError("the upload stopped")


def test_a_blob_round_trips(blob_store: BlobStore) -> None:
    """A blob written from chunks reads back whole, with its size, under its name."""
    assert blob_store.put("file-1", [DATA[:100], DATA[100:]]) == len(DATA)
    assert read(blob_store, "file-1") == DATA
    assert blob_store.size("file-1") == len(DATA)
    assert blob_store.names() == ["file-1"]


def test_an_empty_blob_round_trips(blob_store: BlobStore) -> None:
    """An empty blob exists, has size 0 and reads as nothing, from any offset."""
    blob_store.put("empty", [])
    assert (blob_store.size("empty"), read(blob_store, "empty"), read(blob_store, "empty", 5)) == (
        0,
        b"",
        b"",
    )


@pytest.mark.parametrize(
    ("offset", "length"),
    [
        (0, None),
        (0, 1),
        (1, 1),
        (1000, 5000),
        (10_000, None),
        (10_239, 1),
        (10_000, 10_000),
        (10_240, None),
        (20_000, 10),
        (5, 0),
    ],
)
def test_ranges_read_what_http_range_asks(blob_store: BlobStore, offset: int, length: int | None) -> None:
    """A read from ``offset`` for ``length`` bytes gives exactly that slice, shorter at the blob's end."""
    blob_store.put("file-1", [DATA])
    end = None if length is None else offset + length
    assert read(blob_store, "file-1", offset, length) == DATA[offset:end]


def test_a_missing_blob_is_not_found(blob_store: BlobStore) -> None:
    """Reading or sizing a blob that does not exist raises BlobNotFound; deleting it is no error."""
    with pytest.raises(BlobNotFound):
        blob_store.read("missing")
    with pytest.raises(BlobNotFound):
        blob_store.size("missing")
    blob_store.delete("missing")


def test_delete_removes_a_blob(blob_store: BlobStore) -> None:
    """A deleted blob is gone from reads and from the names."""
    blob_store.put("file-1", [DATA])
    blob_store.delete("file-1")
    assert blob_store.names() == []
    with pytest.raises(BlobNotFound):
        blob_store.size("file-1")


def test_a_write_replaces_the_whole_blob(blob_store: BlobStore) -> None:
    """Writing a name again replaces its content entirely."""
    blob_store.put("file-1", [DATA])
    blob_store.put("file-1", [b"short"])
    assert read(blob_store, "file-1") == b"short"


@pytest.mark.parametrize("name", ["", ".hidden", "../escape", "a/b", "a\\b", "x" * 201, "é", "a\x00"])
def test_names_that_could_escape_are_refused(blob_store: BlobStore, name: str) -> None:
    """Empty, dotted, separated, over-long or non-ASCII names are refused for every operation."""
    with pytest.raises(InvalidBlobName):
        blob_store.put(name, [DATA])
    with pytest.raises(InvalidBlobName):
        blob_store.read(name)
    with pytest.raises(InvalidBlobName):
        blob_store.delete(name)


def test_a_failed_write_leaves_nothing(blob_store: BlobStore) -> None:
    """A write whose source fails midway raises, and leaves no blob and no visible name."""
    with pytest.raises(ConnectionResetError):
        blob_store.put("file-1", failing_after(3))
    assert blob_store.names() == []
    with pytest.raises(BlobNotFound):
        blob_store.size("file-1")


def test_a_failed_rewrite_keeps_the_old_blob(blob_store: BlobStore) -> None:
    """A replacement that fails midway leaves the previous blob whole."""
    blob_store.put("file-1", [b"old"])
    with pytest.raises(ConnectionResetError):
        blob_store.put("file-1", failing_after(2))
    assert read(blob_store, "file-1") == b"old"
