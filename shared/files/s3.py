"""Files in an S3-compatible bucket (AWS S3, Scaleway, OVH, MinIO, SeaweedFS, ...).

An object appears under its key only once it is whole: a file of up to one part is a single
PutObject; a larger one is a multipart upload, which the server assembles only when it is
completed and which is aborted on any failure (too large, cancelled, network). An upload
holds at most one part in memory (two while it is sent), whatever the size limit.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

import structlog
from aiobotocore.client import AioBaseClient
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import SecretStr

from shared.files.storage import CHUNK, NotStored, at_most, checked_key

log = structlog.get_logger(__name__)
# S3's smallest part (but the last): the least memory an upload of many parts can hold.
PART_BYTES = 5 * 1024 * 1024
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
# Objects are only ever read through the service, which sets the real type and name; should
# the bucket ever be exposed, a browser would still only download them.
_OBJECT_HEADERS = {"ContentType": "application/octet-stream", "ContentDisposition": "attachment"}


class StorageUnavailable(RuntimeError):
    """The bucket cannot be used: wrong address, region, name or credentials."""


@dataclass(frozen=True)
class S3Location:
    """Where the bucket is and how to sign in to it."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None  # None: AWS, from the region
    region: str | None = None
    access_key_id: str | None = None  # None: botocore's usual chain (environment, IAM role)
    secret_access_key: SecretStr | None = None
    path_style: bool = False

    @property
    def described(self) -> str:
        return f"bucket {self.bucket!r} at {self.endpoint_url or 'AWS'}"


class S3Storage:
    def __init__(
        self, client: AioBaseClient, bucket: str, prefix: str = "", part_bytes: int = PART_BYTES
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.part_bytes = part_bytes

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, location: S3Location) -> AsyncIterator[S3Storage]:
        """A storage on `location` for the block's duration; StorageUnavailable at once when
        the bucket cannot be reached with these credentials, rather than at the first upload."""
        config = AioConfig(
            s3={"addressing_style": "path" if location.path_style else "virtual"},
            connect_timeout=5,
            read_timeout=60,
            retries={"max_attempts": 3, "mode": "standard"},
        )
        secret = location.secret_access_key
        client_context = get_session().create_client(
            "s3",
            endpoint_url=location.endpoint_url,
            region_name=location.region,
            aws_access_key_id=location.access_key_id,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
            config=config,
        )
        async with client_context as client:
            try:
                await client.head_bucket(Bucket=location.bucket)
            except (ClientError, BotoCoreError) as error:
                raise StorageUnavailable(
                    f"the files' {location.described} cannot be used: {error}"
                ) from None
            yield cls(client, location.bucket, location.prefix)

    def object_name(self, key: str) -> str:
        return self.prefix + checked_key(key)

    async def save(self, key: str, chunks: AsyncIterator[bytes], max_bytes: int) -> int:
        name = self.object_name(key)
        buffer = bytearray()
        size = 0
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            async for chunk in at_most(chunks, max_bytes):
                size += len(chunk)
                buffer += chunk
                if len(buffer) >= self.part_bytes:
                    if upload_id is None:
                        started = await self.client.create_multipart_upload(
                            Bucket=self.bucket, Key=name, **_OBJECT_HEADERS
                        )
                        upload_id = started["UploadId"]
                    parts.append(await self._send_part(name, upload_id, len(parts) + 1, buffer))
                    buffer.clear()
            if upload_id is None:
                await self.client.put_object(
                    Bucket=self.bucket, Key=name, Body=bytes(buffer), **_OBJECT_HEADERS
                )
                return size
            if buffer:
                parts.append(await self._send_part(name, upload_id, len(parts) + 1, buffer))
            await self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=name, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            if upload_id is not None:
                await self._abort(name, upload_id)
            raise
        return size

    async def _send_part(
        self, name: str, upload_id: str, number: int, content: bytearray
    ) -> dict[str, Any]:
        sent = await self.client.upload_part(
            Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=bytes(content)
        )
        return {"PartNumber": number, "ETag": sent["ETag"]}

    async def _abort(self, name: str, upload_id: str) -> None:
        try:
            await self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=name, UploadId=upload_id
            )
        except (ClientError, BotoCoreError):
            # delete() aborts it again when the upload's row is cleaned up
            log.warning("aborting a multipart upload failed", object=name, exc_info=True)

    async def read(self, key: str) -> AsyncGenerator[bytes, None]:
        try:
            answer = await self.client.get_object(Bucket=self.bucket, Key=self.object_name(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                raise NotStored(key) from None
            raise
        async with answer["Body"] as body:
            while chunk := await body.read(CHUNK):
                yield chunk

    async def delete(self, key: str) -> None:
        """The object, and the parts of an upload a crash left unfinished (invisible, but
        kept and billed until aborted)."""
        name = self.object_name(key)
        await self.client.delete_object(Bucket=self.bucket, Key=name)
        unfinished = await self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=name)
        for upload in unfinished.get("Uploads", []):
            if upload["Key"] == name:
                await self._abort(name, upload["UploadId"])
