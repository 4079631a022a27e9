from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import uuid4

import boto3
import pytest
from moto.server import ThreadedMotoServer

from adapters.blobs_local import LocalBlobs
from adapters.blobs_s3 import MIB, S3Blobs
from domain.blob_store import BlobStore

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-protocol server (moto in server mode) on loopback and a free port, for the session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_client(s3_endpoint: str) -> S3Client:
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # moto accepts any credentials
    )


@pytest.fixture
def bucket(s3_client: S3Client) -> str:
    """A new, empty bucket for each test."""
    name = f"blobs-{uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_blobs(s3_client: S3Client, bucket: str) -> S3Blobs:
    return S3Blobs(s3_client, bucket, prefix="files/", part_size=5 * MIB)


@pytest.fixture
def local_blobs(tmp_path: Path) -> LocalBlobs:
    return LocalBlobs(tmp_path / "blobs", chunk_size=1000)


@pytest.fixture(params=["local", "s3"])
def blob_store(request: pytest.FixtureRequest) -> BlobStore:
    """Each adapter of the blob store port in turn."""
    store: BlobStore = request.getfixturevalue(f"{request.param}_blobs")
    return store
