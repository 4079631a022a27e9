"""A download kept on disk while (and after) it arrives, encrypted: the grant and the sealed file exactly
as the server sent them, in ``<home>/downloads/<file id>/``, with the grant's description beside them.
Plaintext is never written here. A broken-off download resumes from the bytes it has (HTTP ``Range`` on
the same grant); a new grant (after the old one expired) replaces only the grant, since the sealed bytes
are the same for every device and every grant (docs/file-format.md §5)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from keyledger_client.errors import UnexpectedResponse

CHUNK = 256 * 1024


@dataclass(frozen=True)
class GrantInfo:
    """What the server answered when it granted the download."""

    grant_id: str
    url: str
    expires_at: datetime
    size: int
    grant_length: int
    release_id: str
    version: str
    file_id: str
    file_name: str
    file_size: int
    sha256: str
    device_id: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GrantInfo:
        try:
            values = {name: data[name] for name in cls.__dataclass_fields__}
            values["expires_at"] = datetime.fromisoformat(str(values["expires_at"]))
            for name in ("size", "grant_length", "file_size"):
                values[name] = int(values[name])
            return cls(**values)
        except (KeyError, TypeError, ValueError):
            raise UnexpectedResponse("the grant in the server's answer is malformed") from None

    @property
    def sealed_size(self) -> int:
        return self.size - self.grant_length


class CachedDownload:
    def __init__(self, root: Path, file_id: str) -> None:
        self.folder = root / "downloads" / file_id
        self.info_path = self.folder / "grant.json"
        self.grant_path = self.folder / "grant.bin"
        self.sealed_path = self.folder / "sealed.part"

    def info(self) -> GrantInfo | None:
        try:
            return GrantInfo.from_json(json.loads(self.info_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, UnexpectedResponse):
            return None

    def adopt(self, info: GrantInfo) -> None:
        """Takes a new grant for this file (the sealed bytes already here stay)."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.grant_path.unlink(missing_ok=True)
        data = {**asdict(info), "expires_at": info.expires_at.isoformat()}
        self.info_path.write_text(json.dumps(data), encoding="utf-8")

    def _size(self, path: Path) -> int:
        return path.stat().st_size if path.exists() else 0

    def complete(self, info: GrantInfo) -> bool:
        sizes = self._size(self.grant_path), self._size(self.sealed_path)
        return sizes == (info.grant_length, info.sealed_size)

    def wanted(self, info: GrantInfo) -> tuple[int, int | None]:
        """The byte range of the body still to fetch: all of it at first; after a broken-off download, the
        rest of it; after a new grant, only the grant (the sealed bytes here are the same)."""
        grant, sealed = self._size(self.grant_path), self._size(self.sealed_path)
        if grant == info.grant_length:
            return info.grant_length + sealed, None
        return (0, None) if sealed == 0 else (0, info.grant_length - 1)

    def write(self, info: GrantInfo, start: int, chunks: Iterator[bytes], *, whole: bool) -> Iterator[int]:
        """Stores the body's bytes from offset ``start`` (grant bytes to the grant, the rest to the sealed
        file; ``whole``: the server sent the whole body, so both start afresh); yields each chunk's size."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        grant_mode, sealed_mode = ("wb" if start == 0 else "ab"), ("wb" if whole else "ab")
        with self.grant_path.open(grant_mode) as grant, self.sealed_path.open(sealed_mode) as sealed:
            at = start
            for chunk in chunks:
                cut = max(0, min(len(chunk), info.grant_length - at))
                grant.write(chunk[:cut])
                sealed.write(chunk[cut:])
                at += len(chunk)
                yield len(chunk)

    def body(self) -> Iterator[bytes]:
        """The grant, then the sealed file, in chunks."""
        yield self.grant_path.read_bytes()
        with self.sealed_path.open("rb") as sealed:
            yield from _chunks(sealed)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK):
        yield chunk
