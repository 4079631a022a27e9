"""The local blob directory: atomic writes, even when the writer dies, and names that stay inside it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.blobs_local import LocalBlobs
from domain.blob_store import BlobNotFound, InvalidBlobName, check_name
from tests.adapters.strategies import blob_names

WRITER = """
import sys, time
from pathlib import Path
from adapters.blobs_local import LocalBlobs

def chunks():
    yield b"x" * 100_000
    print("writing", flush=True)
    time.sleep(60)
    yield b"never"

LocalBlobs(Path(sys.argv[1])).put("file-1", chunks())
"""


def test_blobs_are_readable_by_their_owner_only(local_blobs: LocalBlobs, tmp_path: Path) -> None:
    """The directory is 0700 and each blob 0600."""
    local_blobs.put("file-1", [b"data"])
    assert stat.S_IMODE((tmp_path / "blobs").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "blobs" / "file-1").stat().st_mode) == 0o600


def test_an_exception_midway_leaves_no_temporary_file(local_blobs: LocalBlobs, tmp_path: Path) -> None:
    """A write interrupted by an exception removes its temporary file: the directory is as before."""

    def source() -> Iterator[bytes]:
        yield b"part"
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        local_blobs.put("file-1", source())
    assert list((tmp_path / "blobs").iterdir()) == []


def test_a_killed_writer_leaves_no_blob(tmp_path: Path) -> None:
    """A writer process killed mid-write leaves no blob and no name; remove_partials clears its temp file."""
    root = tmp_path / "blobs"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    writer = subprocess.Popen(  # noqa: S603 - our own interpreter running a fixed script
        [sys.executable, "-c", WRITER, str(root)], stdout=subprocess.PIPE, env=env
    )
    assert writer.stdout is not None
    assert writer.stdout.readline() == b"writing\n"
    writer.kill()
    writer.wait()
    writer.stdout.close()
    blobs = LocalBlobs(root)
    assert blobs.names() == []
    with pytest.raises(BlobNotFound):
        blobs.size("file-1")
    assert blobs.remove_partials(modified_before=time.time() + 1) == 1
    assert list(root.iterdir()) == []


def test_remove_partials_spares_recent_writers(local_blobs: LocalBlobs, tmp_path: Path) -> None:
    """Temporary files newer than the cut-off (writers still at work) are left alone."""
    (tmp_path / "blobs" / ".partial-live").write_bytes(b"x")
    assert local_blobs.remove_partials(modified_before=time.time() - 3600) == 0


@given(blob_names() | st.text(max_size=60))
def test_every_accepted_name_stays_inside_the_directory(name: str) -> None:
    """Any name is refused, or is a single, visible entry directly inside the blob directory."""
    try:
        check_name(name)
    except InvalidBlobName:
        return
    root = Path("/srv/blobs")
    assert (root / name).parent == root
    assert not name.startswith(".")


@given(st.binary(max_size=3000), st.integers(0, 3500), st.none() | st.integers(0, 3500))
def test_ranges_are_slices(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, offset: int, length: int | None
) -> None:
    """Any range read equals the same slice of the stored bytes."""
    blobs = LocalBlobs(tmp_path_factory.getbasetemp() / "ranges", chunk_size=700)
    blobs.put("b", [data])
    end = None if length is None else offset + length
    assert b"".join(blobs.read("b", offset, length)) == data[offset:end]
    blobs.delete("b")
