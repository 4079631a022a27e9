"""The S3 adapter against a real S3-protocol server: multipart uploads are all or nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from adapters.blobs_s3 import MIB, S3Blobs

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BLOCK = bytes(range(256)) * 4096  # 1 MiB


def megabytes(count: int) -> Iterator[bytes]:
    for index in range(count):
        yield bytes([index]) + BLOCK[1:]


def interrupted(count: int) -> Iterator[bytes]:
    yield from megabytes(count)
    raise ConnectionResetError("the source stopped")


def leftovers(client: S3Client, bucket: str) -> tuple[list[str], list[str]]:
    """The bucket's objects and its unfinished multipart uploads."""
    objects = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    return [o["Key"] for o in objects], [u["Key"] for u in uploads]


def test_a_large_blob_goes_up_in_parts_and_reads_back(
    s3_blobs: S3Blobs, s3_client: S3Client, bucket: str
) -> None:
    """12 MiB in 5 MiB parts is one object of 12 MiB, byte for byte, readable across part boundaries."""
    expected = b"".join(megabytes(12))
    assert s3_blobs.put("big", megabytes(12)) == 12 * MIB
    assert hashlib.sha256(b"".join(s3_blobs.read("big"))).digest() == hashlib.sha256(expected).digest()
    across = b"".join(s3_blobs.read("big", 5 * MIB - 10, 20))
    assert across == expected[5 * MIB - 10 : 5 * MIB + 10]
    head = s3_client.head_object(Bucket=bucket, Key="files/big")
    assert head["ContentLength"] == 12 * MIB
    assert head["ETag"].endswith('-3"')  # a multipart object of three parts


def test_an_interrupted_multipart_upload_leaves_no_object_and_no_upload(
    s3_blobs: S3Blobs, s3_client: S3Client, bucket: str
) -> None:
    """A source failing after two parts went up aborts the upload: no object, no dangling upload."""
    with pytest.raises(ConnectionResetError):
        s3_blobs.put("big", interrupted(11))
    assert leftovers(s3_client, bucket) == ([], [])


def test_a_failed_completion_is_aborted_too(
    s3_client: S3Client, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the server refuses to complete the upload, the upload is aborted and nothing remains."""
    blobs = S3Blobs(s3_client, bucket, part_size=5 * MIB)

    def refuse(**_: object) -> None:
        raise TimeoutError("no answer to CompleteMultipartUpload")

    monkeypatch.setattr(s3_client, "complete_multipart_upload", refuse)
    with pytest.raises(TimeoutError):
        blobs.put("big", megabytes(6))
    assert leftovers(s3_client, bucket) == ([], [])


def test_the_prefix_keeps_other_objects_out(s3_blobs: S3Blobs, s3_client: S3Client, bucket: str) -> None:
    """Blobs live under the adapter's prefix; other keys in the bucket are not listed as blobs."""
    s3_client.put_object(Bucket=bucket, Key="elsewhere/x", Body=b"x")
    s3_blobs.put("file-1", [b"data"])
    assert s3_blobs.names() == ["file-1"]
    assert leftovers(s3_client, bucket)[0] == ["elsewhere/x", "files/file-1"]


def test_parts_smaller_than_s3_allows_are_refused(s3_client: S3Client, bucket: str) -> None:
    """S3 wants parts of at least 5 MiB: a smaller part size is a configuration error."""
    with pytest.raises(ValueError, match="5 MiB"):
        S3Blobs(s3_client, bucket, part_size=MIB)
