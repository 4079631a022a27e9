"""Blobs in S3-compatible object storage through boto3, for deployments with several API processes.

Small blobs are one ``PutObject``; larger ones a multipart upload of ``part_size`` parts, completed only
after the last part, and aborted if anything fails, so an object is either whole or absent and no upload is
left behind (a bucket lifecycle rule aborting stale multipart uploads is the backstop for a killed process).
Reads are ranged ``GetObject`` calls, streamed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from domain.blob_store import BlobNotFound, check_name

if TYPE_CHECKING:
    from botocore.response import StreamingBody
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

MIB = 1024 * 1024
PART_SIZE = 8 * MIB  # S3 wants parts of at least 5 MiB, the last excepted
CHUNK_SIZE = 256 * 1024
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class S3Blobs:
    def __init__(
        self, client: S3Client, bucket: str, *, prefix: str = "", part_size: int = PART_SIZE
    ) -> None:
        if part_size < 5 * MIB:
            raise ValueError("S3 multipart parts are at least 5 MiB")
        self._client, self._bucket, self._prefix, self._part_size = client, bucket, prefix, part_size

    def put(self, name: str, chunks: Iterable[bytes]) -> int:
        key = self._key(name)
        parts = _parts(chunks, self._part_size)
        first, second = next(parts, b""), next(parts, None)
        if second is None:
            self._client.put_object(Bucket=self._bucket, Key=key, Body=first)
            return len(first)
        return self._multipart(key, chain([first, second], parts))

    def read(self, name: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        if offset < 0 or (length is not None and length < 0):
            raise ValueError("a range starts at 0 or later and has a length of 0 or more")
        if length == 0:
            self.size(name)
            return iter(())
        end = "" if length is None else str(offset + length - 1)
        try:
            response = self._client.get_object(
                Bucket=self._bucket, Key=self._key(name), Range=f"bytes={offset}-{end}"
            )
        except ClientError as error:
            if _code(error) != "InvalidRange":  # S3 answers 416 for a range starting at or past the end
                raise _translated(error, name) from None
            self.size(name)
            return iter(())
        return _stream(response["Body"])

    def size(self, name: str) -> int:
        try:
            return self._client.head_object(Bucket=self._bucket, Key=self._key(name))["ContentLength"]
        except ClientError as error:
            raise _translated(error, name) from None

    def delete(self, name: str) -> None:
        self._client.delete_object(Bucket=self._bucket, Key=self._key(name))

    def names(self) -> list[str]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=self._prefix
        )
        keys = (item["Key"] for page in pages for item in page.get("Contents", []))
        return sorted(key.removeprefix(self._prefix) for key in keys)

    def _key(self, name: str) -> str:
        return self._prefix + check_name(name)

    def _multipart(self, key: str, parts: Iterable[bytes]) -> int:
        upload_id = self._client.create_multipart_upload(Bucket=self._bucket, Key=key)["UploadId"]
        try:
            done, size = self._upload_parts(key, upload_id, parts)
            self._client.complete_multipart_upload(
                Bucket=self._bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done}
            )
        except BaseException as error:
            self._abort(key, upload_id, error)
            raise
        return size

    def _upload_parts(
        self, key: str, upload_id: str, parts: Iterable[bytes]
    ) -> tuple[list[CompletedPartTypeDef], int]:
        done: list[CompletedPartTypeDef] = []
        size = 0
        for number, part in enumerate(parts, start=1):
            answer = self._client.upload_part(
                Bucket=self._bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=part
            )
            done.append({"ETag": answer["ETag"], "PartNumber": number})
            size += len(part)
        return done, size

    def _abort(self, key: str, upload_id: str, cause: BaseException) -> None:
        try:
            self._client.abort_multipart_upload(Bucket=self._bucket, Key=key, UploadId=upload_id)
        except (BotoCoreError, ClientError) as error:
            cause.add_note(f"the multipart upload {upload_id} of {key} could not be aborted: {error}")


def _parts(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


def _stream(body: StreamingBody) -> Iterator[bytes]:
    with body:
        yield from body.iter_chunks(CHUNK_SIZE)


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def _translated(error: ClientError, name: str) -> Exception:
    return BlobNotFound(name) if _code(error) in _MISSING else error
