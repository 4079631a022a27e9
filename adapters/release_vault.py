"""Release files sealed once and granted per device: the sealing pipeline (plaintext → SHA-256 and size,
STREAM under a fresh data key → blob store), the data key wrapped by the master key beside the events,
and per-download grants (the data key sealed with HPKE to the device's key) kept for their Range requests.

Formats: ``stream_aead`` (sealed file), ``key_wrap`` (wrapped key), ``grants`` (grant header); all in
docs/file-format.md. The API names this port ``api.release_files.ReleaseFiles``."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from uuid import UUID

from adapters.grants import X25519_SUITE, GrantTarget, InvalidDeviceKey, parse_device_key, seal_grant
from adapters.key_wrap import MasterKeys, WrappedKey
from adapters.release_secrets import ReleaseSecrets
from adapters.stream_aead import SEGMENT_SIZE, new_data_key, seal
from domain.blob_store import BlobStore
from domain.release import ReleaseFile

PURPOSE = "release-file"
SUITE_NAMES = {X25519_SUITE.kem_id: "X25519"}


def blob_name(file_id: UUID) -> str:
    return f"release-{file_id}"


class Measured:
    """Counts and hashes the chunks passing through. SHA-256 is the slower half of sealing, so it runs on
    a second thread (hashlib and AES-GCM both release the GIL), about ``BATCH_BYTES`` at a time while the
    next chunks are sealed."""

    BATCH_BYTES = 512 * 1024

    def __init__(self) -> None:
        self.size = 0
        self._sha = hashlib.sha256()

    def through(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        pending: Future[None] | None = None
        batch: list[bytes] = []
        batched = 0
        with ThreadPoolExecutor(1, thread_name_prefix="sha256") as hasher:
            for chunk in chunks:
                self.size += len(chunk)
                batch.append(chunk)
                batched += len(chunk)
                if batched >= self.BATCH_BYTES:
                    pending = self._hash_after(hasher, pending, batch)
                    batch, batched = [], 0
                yield chunk
            self._hash_after(hasher, pending, batch).result()

    def _hash_after(
        self, hasher: ThreadPoolExecutor, pending: Future[None] | None, batch: list[bytes]
    ) -> Future[None]:
        if pending is not None:
            pending.result()
        return hasher.submit(self._update, batch)

    def _update(self, batch: list[bytes]) -> None:
        for chunk in batch:
            self._sha.update(chunk)

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


class ReleaseVault:
    def __init__(
        self,
        blobs: BlobStore,
        secrets: ReleaseSecrets,
        master: MasterKeys,
        *,
        segment_size: int = SEGMENT_SIZE,
    ) -> None:
        self.blobs, self.secrets, self.master, self.segment_size = blobs, secrets, master, segment_size

    def store(self, file_id: UUID, name: str, plaintext: Iterable[bytes]) -> ReleaseFile:
        """Seals ``plaintext`` under a new data key into the blob store and keeps the wrapped key. On any
        failure (the source broke off, the store refused) neither remains."""
        data_key, measured, blob = new_data_key(), Measured(), blob_name(file_id)
        wrapped = self.master.wrap(data_key, file_id=str(file_id), purpose=PURPOSE)
        self.secrets.put_key(str(file_id), wrapped.encode())
        try:
            stream = seal(data_key, measured.through(plaintext), segment_size=self.segment_size)
            sealed_size = self.blobs.put(blob, stream)
        except BaseException:
            self.discard(file_id)
            raise
        return ReleaseFile(file_id, name, measured.size, measured.hexdigest(), blob, sealed_size)

    def discard(self, file_id: UUID) -> None:
        """Removes a file's blob and wrapped key, whichever exist."""
        self.blobs.delete(blob_name(file_id))
        self.secrets.delete_key(str(file_id))

    def device_key_suite(self, public_key: bytes) -> str | None:
        """``X25519`` or ``MLKEM768_X25519`` for a usable device key; None for anything else (a wrong
        length, a point of low order, a malformed ML-KEM key)."""
        try:
            suite, _ = parse_device_key(public_key)
        except InvalidDeviceKey:
            return None
        return SUITE_NAMES.get(suite.kem_id, "MLKEM768_X25519")

    def make_grant(
        self,
        grant_id: UUID,
        file_id: UUID,
        release_version: str,
        device_id: UUID,
        device_key: bytes,
        expires_at: datetime,
    ) -> bytes:
        """The grant giving a file's data key to the device whose public key is ``device_key``, kept under
        ``grant_id`` so every Range request of the download gets the same bytes."""
        target = GrantTarget(str(file_id), release_version, str(device_id))
        record = self.secrets.key(target.file_id)
        if record is None:
            raise LookupError(f"no wrapped key for file {target.file_id}")
        data_key = self.master.unwrap(WrappedKey.decode(record), file_id=target.file_id, purpose=PURPOSE)
        grant = seal_grant(data_key, device_key, target, expires_at)
        self.secrets.put_grant(str(grant_id), grant)
        return grant

    def grant(self, grant_id: UUID) -> bytes | None:
        return self.secrets.grant(str(grant_id))

    def forget_grant(self, grant_id: UUID) -> None:
        self.secrets.delete_grant(str(grant_id))

    def read(self, blob: str, offset: int, length: int | None) -> Iterator[bytes]:
        return self.blobs.read(blob, offset, length)

    def rewrap_all(self) -> int:
        """Re-wraps every stored data key under the current master key (after a rotation); returns
        how many."""
        count = 0
        for file_id in self.secrets.key_ids():
            record = self.secrets.key(file_id)
            if record is not None:
                self.secrets.put_key(file_id, self.master.rewrap(WrappedKey.decode(record)).encode())
                count += 1
        return count
