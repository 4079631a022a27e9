"""The port through which the API stores release files and grants downloads (``adapters.release_vault``
implements it): files sealed once at upload, a grant per download, the sealed bytes read back by range.
Plaintext never comes back out of it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from domain.release import ReleaseFile


class ReleaseFiles(Protocol):
    def store(self, file_id: UUID, name: str, plaintext: Iterable[bytes]) -> ReleaseFile:
        """Seals ``plaintext`` into the blob store under a new data key (kept wrapped); returns the file's
        size, SHA-256 and blob. On failure nothing of it remains."""
        ...

    def discard(self, file_id: UUID) -> None:
        """Removes a stored file (blob and wrapped key) that no release will name."""
        ...

    def device_key_suite(self, public_key: bytes) -> str | None:
        """``X25519`` or ``MLKEM768_X25519`` if ``public_key`` is a usable device key, else None."""
        ...

    def make_grant(
        self,
        grant_id: UUID,
        file_id: UUID,
        release_version: str,
        device_id: UUID,
        device_key: bytes,
        expires_at: datetime,
    ) -> bytes:
        """A new grant of the file's data key to one device, kept under ``grant_id``."""
        ...

    def grant(self, grant_id: UUID) -> bytes | None:
        """The grant kept under ``grant_id``, if any."""
        ...

    def forget_grant(self, grant_id: UUID) -> None: ...

    def read(self, blob: str, offset: int, length: int | None) -> Iterator[bytes]:
        """Bytes of a sealed file as stored."""
        ...


@dataclass(frozen=True)
class ReleaseStore:
    """The release files and the limits the API applies to them."""

    files: ReleaseFiles
    max_upload_bytes: int = 8 * 1024**3
    grant_lifetime: timedelta = timedelta(hours=24)
