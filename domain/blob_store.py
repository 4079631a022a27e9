"""The blob store port: whole objects written atomically, read by byte range. Release files are stored
sealed behind it (``adapters.release_vault``). Adapters: ``adapters.blobs_local`` (a directory under the
data dir, the embedded default) and ``adapters.blobs_s3`` (S3-compatible object storage); the choice is
``KEYLEDGER_BLOB_STORE``. A port in ``domain`` (like ``Presence``) because both sides share its errors and
its naming rule."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Protocol

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


class BlobNotFound(LookupError):
    """No blob of that name."""


class InvalidBlobName(ValueError):
    """A name that is not 1-200 of [A-Za-z0-9._-], starting with a letter or digit."""


def check_name(name: str) -> str:
    """``name`` if it is a valid blob name: no separator and no leading dot, so never a path elsewhere."""
    if not _NAME.fullmatch(name):
        raise InvalidBlobName(f"invalid blob name {name!r}")
    return name


class BlobStore(Protocol):
    def put(self, name: str, chunks: Iterable[bytes]) -> int:
        """Stores the concatenated ``chunks`` as ``name`` (replacing any blob of that name) and returns the
        size. Atomic: readers see the old blob or the whole new one, and a write that fails or is killed
        leaves no blob and nothing visible."""
        ...

    def read(self, name: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        """The bytes ``offset`` to ``offset + length`` (or the end) of ``name``, in chunks; fewer if the blob
        ends sooner, none if it ends before ``offset``. Raises :class:`BlobNotFound` before yielding."""
        ...

    def size(self, name: str) -> int:
        """The size of ``name`` in bytes; :class:`BlobNotFound` if there is none."""
        ...

    def delete(self, name: str) -> None:
        """Removes ``name``; deleting a missing blob is not an error."""
        ...

    def names(self) -> list[str]:
        """Every stored blob's name, sorted."""
        ...
