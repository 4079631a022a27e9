"""Release file storage from settings: the blob store (``KEYLEDGER_BLOB_STORE=local``: ``blobs/`` in the
data dir; ``s3``: ``KEYLEDGER_S3_BUCKET`` at ``KEYLEDGER_S3_ENDPOINT_URL``, credentials and region from the
standard AWS environment and config files), the master key (``file-master.key`` in the data dir: every
API process needs the same one) and the secrets table beside the events."""

from __future__ import annotations

import time
from datetime import timedelta

import boto3

from adapters.blobs_local import LocalBlobs
from adapters.blobs_s3 import S3Blobs
from adapters.key_wrap import load_master_keys
from adapters.ledger_db import ledger_db
from adapters.release_secrets import ReleaseSecrets
from adapters.release_vault import ReleaseVault
from api.release_files import ReleaseStore
from bootstrap.settings import Settings
from bootstrap.stores import SettingsError
from domain.blob_store import BlobStore
from domain.ledger.service import Ledger

PARTIALS_AGE_S = 3600  # a local write this old with no rename is a dead writer's


def build_blobs(settings: Settings) -> BlobStore:
    if settings.blob_store == "s3":
        if not settings.s3_bucket:
            raise SettingsError("KEYLEDGER_BLOB_STORE=s3 needs KEYLEDGER_S3_BUCKET")
        client = boto3.client("s3", endpoint_url=settings.s3_endpoint_url)
        return S3Blobs(client, settings.s3_bucket, prefix=settings.s3_prefix)
    blobs = LocalBlobs(settings.data_dir / "blobs")
    blobs.remove_partials(time.time() - PARTIALS_AGE_S)
    return blobs


def build_vault(settings: Settings, ledger: Ledger, *, create_tables: bool = False) -> ReleaseVault:
    """The vault over the configured blob store and the ledger's database (its own connections: close
    ``vault.secrets`` when done)."""
    secrets = ReleaseSecrets(ledger_db(ledger))
    if create_tables:
        secrets.create_tables()
    return ReleaseVault(build_blobs(settings), secrets, load_master_keys(settings.data_dir))


def release_store(settings: Settings, vault: ReleaseVault) -> ReleaseStore:
    return ReleaseStore(vault, settings.max_upload_bytes, timedelta(seconds=settings.grant_lifetime_s))
