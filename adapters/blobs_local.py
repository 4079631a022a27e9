"""Blobs as files in one directory under the data dir (the embedded default). A write goes to a dot-named
temporary file in the same directory, is flushed, renamed into place and the directory flushed
(:mod:`adapters.durable_files`): a blob appears whole or not at all, and a killed writer leaves only a
dot-file that no name can reach and :meth:`LocalBlobs.remove_partials` clears."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from adapters.durable_files import TEMP_PREFIX, fsync_directory, write_temp
from domain.blob_store import BlobNotFound, check_name

CHUNK_SIZE = 256 * 1024


class LocalBlobs:
    def __init__(self, root: Path, *, chunk_size: int = CHUNK_SIZE) -> None:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._root = root
        self._chunk_size = chunk_size

    def put(self, name: str, chunks: Iterable[bytes]) -> int:
        target = self._path(name)
        temp, size = write_temp(self._root, chunks)
        try:
            os.replace(temp, target)
        except BaseException:
            temp.unlink()
            raise
        fsync_directory(self._root)
        return size

    def read(self, name: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        if offset < 0 or (length is not None and length < 0):
            raise ValueError("a range starts at 0 or later and has a length of 0 or more")
        try:
            handle = self._path(name).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(name) from None
        return self._stream(handle, offset, length)

    def size(self, name: str) -> int:
        try:
            return self._path(name).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(name) from None

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)
        fsync_directory(self._root)

    def names(self) -> list[str]:
        return sorted(path.name for path in self._root.iterdir() if not path.name.startswith("."))

    def remove_partials(self, modified_before: float) -> int:
        """Removes the temporary files of writers that died before ``modified_before`` (a Unix time);
        returns how many. Run at start-up, with a margin for writers still at work."""
        stale = [p for p in self._root.glob(f"{TEMP_PREFIX}*") if p.stat().st_mtime < modified_before]
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)

    def _path(self, name: str) -> Path:
        return self._root / check_name(name)

    def _stream(self, handle: BinaryIO, offset: int, length: int | None) -> Iterator[bytes]:
        with handle:
            handle.seek(offset)
            remaining = length
            while remaining is None or remaining > 0:
                chunk = handle.read(
                    self._chunk_size if remaining is None else min(self._chunk_size, remaining)
                )
                if not chunk:
                    return
                remaining = None if remaining is None else remaining - len(chunk)
                yield chunk
