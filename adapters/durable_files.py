"""Files that appear whole or not at all: written to a temporary name in the target directory, flushed to
disk, then renamed (``os.replace``) or linked (``os.link``, which never overwrites) into place, and the
directory flushed so that the new name survives a crash. Temporary names start with a dot."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

TEMP_PREFIX = ".partial-"


def write_temp(directory: Path, chunks: Iterable[bytes]) -> tuple[Path, int]:
    """A new 0600 file in ``directory`` holding ``chunks``, flushed to disk, and its size. If writing fails
    (or is interrupted), the file is removed and the error goes on."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, name = tempfile.mkstemp(dir=directory, prefix=TEMP_PREFIX)
    size = 0
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                size += handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        os.unlink(name)
        raise
    return Path(name), size


def fsync_directory(directory: Path) -> None:
    """Flushes ``directory``'s entries (a rename or link in it) to disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
