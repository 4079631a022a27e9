"""The release vault on each blob store (a local directory, S3 on a real S3-protocol server): a file is
sealed once into its blob with its key wrapped beside the events, granted per device, and a broken-off
upload leaves neither blob nor key (nor, on S3, a dangling multipart upload)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from adapters.blobs_s3 import S3Blobs
from adapters.key_wrap import load_master_keys
from adapters.ledger_db import SqliteLedgerDb
from adapters.release_secrets import ReleaseSecrets
from adapters.release_vault import ReleaseVault
from domain.blob_store import BlobStore
from tests.file_format import open_download

MIB = 1024 * 1024
BLOCK = bytes(range(256)) * 4096
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def megabytes(count: int) -> Iterator[bytes]:
    for index in range(count):
        yield bytes([index]) + BLOCK[1:]


def broken(count: int) -> Iterator[bytes]:
    yield from megabytes(count)
    raise ConnectionResetError("the uploader went away")


@pytest.fixture
def vault(blob_store: BlobStore, tmp_path: Path) -> Iterator[ReleaseVault]:
    secrets = ReleaseSecrets(SqliteLedgerDb(tmp_path / "ledger.sqlite3"))
    secrets.create_tables()
    yield ReleaseVault(blob_store, secrets, load_master_keys(tmp_path / "data"))
    secrets.close()


def test_a_stored_file_is_granted_and_opens_to_its_bytes(vault: ReleaseVault) -> None:
    """12 MiB sealed into the store (several S3 parts) opens, through a device's grant, to the same bytes;
    the size and SHA-256 are those of the plaintext."""
    device = X25519PrivateKey.generate()
    file_id, grant_id, device_id = uuid4(), uuid4(), uuid4()
    stored = vault.store(file_id, "app.bin", megabytes(12))
    expected = b"".join(megabytes(12))
    assert (stored.size, stored.sha256) == (len(expected), hashlib.sha256(expected).hexdigest())
    public = device.public_key().public_bytes_raw()
    grant = vault.make_grant(grant_id, file_id, "1.0.0", device_id, public, NOW + timedelta(hours=1))
    assert vault.grant(grant_id) == grant
    body = grant + b"".join(vault.read(stored.blob, 0, None))
    target = (str(file_id), "1.0.0", str(device_id))
    assert open_download(device, body, target, int(NOW.timestamp())) == expected


def test_a_broken_off_upload_leaves_nothing(vault: ReleaseVault) -> None:
    """The source failing after 11 MiB: no blob, no wrapped key, no unfinished upload."""
    with pytest.raises(ConnectionResetError):
        vault.store(uuid4(), "app.bin", broken(11))
    assert vault.blobs.names() == []
    assert vault.secrets.key_ids() == []
    if isinstance(vault.blobs, S3Blobs):
        client, bucket = vault.blobs._client, vault.blobs._bucket
        assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_discard_removes_a_stored_file(vault: ReleaseVault) -> None:
    """A file no release will name is removed with its key."""
    file_id = uuid4()
    vault.store(file_id, "a.bin", [b"data"])
    vault.discard(file_id)
    assert (vault.blobs.names(), vault.secrets.key_ids()) == ([], [])
