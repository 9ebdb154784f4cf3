"""What every attachment storage promises, proved on each: the local directory and an
S3-compatible bucket (SeaweedFS). A file is whole under its key or not there at all, the size
limit stops the reading, and only the service's generated keys name anything."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from services.tickets.app import MIGRATIONS
from services.tickets.attachments import uploads
from services.tickets.settings import TicketsSettings
from shared.db import create_pool, migrate
from shared.files.s3 import PART_BYTES, S3Storage
from shared.files.storage import (
    CHUNK,
    FileStorage,
    LocalDirectoryStorage,
    NotStored,
    TooLarge,
)

MEBIBYTE = 1024 * 1024
PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


@dataclass
class StorageUnderTest:
    storage: FileStorage
    # Every name the backend holds, finished or not (S3's unfinished uploads, partial files).
    names: Callable[[], Awaitable[list[str]]]
    # What a crash in the middle of an upload leaves behind under `key`.
    leave_half_written: Callable[[str], Awaitable[None]]


async def local_directory(root: Path) -> AsyncIterator[StorageUnderTest]:
    storage = LocalDirectoryStorage(root)

    async def names() -> list[str]:
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())  # noqa: ASYNC240

    async def leave_half_written(key: str) -> None:
        partial = storage._path(key).with_suffix(".partial")
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(b"half")

    yield StorageUnderTest(storage, names, leave_half_written)


async def s3_bucket(settings: TicketsSettings) -> AsyncIterator[StorageUnderTest]:
    location = settings.attachments_s3
    assert location is not None
    async with S3Storage.connect(location) as storage:
        client, bucket = storage.client, storage.bucket

        async def names() -> list[str]:
            objects = await client.list_objects_v2(Bucket=bucket)
            unfinished = await client.list_multipart_uploads(Bucket=bucket)
            return sorted(
                [o["Key"] for o in objects.get("Contents", [])]
                + [f"{u['Key']} (unfinished)" for u in unfinished.get("Uploads", [])]
            )

        async def leave_half_written(key: str) -> None:
            name = storage.object_name(key)
            started = await client.create_multipart_upload(Bucket=bucket, Key=name)
            await client.upload_part(
                Bucket=bucket,
                Key=name,
                UploadId=started["UploadId"],
                PartNumber=1,
                Body=b"\x00" * PART_BYTES,
            )

        yield StorageUnderTest(storage, names, leave_half_written)


@pytest.fixture(params=["directory", "s3"])
def s3_overrides(request: pytest.FixtureRequest) -> dict[str, Any] | None:
    """The S3 settings for the `s3` case (whose server starts only then), None for the other."""
    return request.getfixturevalue("s3_attachments") if request.param == "s3" else None


@pytest.fixture
async def under_test(
    s3_overrides: dict[str, Any] | None,
    tmp_path: Path,
    service_env: Callable[..., dict[str, Any]],
) -> AsyncIterator[StorageUnderTest]:
    if s3_overrides is None:
        backend = local_directory(tmp_path / "attachments")
    else:
        backend = s3_bucket(TicketsSettings(**service_env(**s3_overrides)))
    async for storage in backend:
        yield storage


def a_key() -> str:
    return uuid.uuid4().hex


async def chunked(content: bytes, size: int = CHUNK) -> AsyncIterator[bytes]:
    for start in range(0, len(content), size):
        yield content[start : start + size]


async def read_all(storage: FileStorage, key: str) -> bytes:
    return b"".join([chunk async for chunk in storage.read(key)])


@pytest.mark.parametrize(
    "size", [5_000, 2 * PART_BYTES + 123_456], ids=["one-part", "several-parts"]
)
async def test_a_file_is_stored_read_back_and_deleted(
    under_test: StorageUnderTest, size: int
) -> None:
    storage = under_test.storage
    content = random.randbytes(size)
    key = a_key()
    assert await storage.save(key, chunked(content), max_bytes=size) == size
    assert await read_all(storage, key) == content
    [name] = await under_test.names()
    assert name.endswith(key)

    await storage.delete(key)
    with pytest.raises(NotStored):
        await read_all(storage, key)
    assert await under_test.names() == []
    await storage.delete(key)  # already gone: no error


async def test_reading_a_key_never_stored_says_so(under_test: StorageUnderTest) -> None:
    with pytest.raises(NotStored):
        await read_all(under_test.storage, a_key())


async def test_past_the_size_limit_nothing_is_kept_and_no_more_is_read(
    under_test: StorageUnderTest,
) -> None:
    pulled = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        while True:
            pulled += 1
            yield b"\x00" * CHUNK

    limit = PART_BYTES + 3 * CHUNK  # past one part: S3 has started a multipart upload
    with pytest.raises(TooLarge):
        await under_test.storage.save(a_key(), endless(), max_bytes=limit)
    assert pulled == limit // CHUNK + 1  # the chunk that went past, and not one more
    assert await under_test.names() == []


async def test_an_upload_that_fails_midway_leaves_nothing(under_test: StorageUnderTest) -> None:
    async def broken_connection() -> AsyncIterator[bytes]:
        async for chunk in chunked(random.randbytes(PART_BYTES + 10 * CHUNK)):
            yield chunk
        raise ConnectionResetError

    with pytest.raises(ConnectionResetError):
        await under_test.storage.save(a_key(), broken_connection(), max_bytes=100 * MEBIBYTE)
    assert await under_test.names() == []


async def test_deleting_clears_what_a_crash_left_half_written(
    under_test: StorageUnderTest,
) -> None:
    key = a_key()
    await under_test.leave_half_written(key)
    assert await under_test.names() != []
    with pytest.raises(NotStored):  # half-written is not stored
        await read_all(under_test.storage, key)
    await under_test.storage.delete(key)
    assert await under_test.names() == []


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "devis.pdf", "0" * 31, "G" * 32, a_key().upper(), ""],
    # Named, not by value: a random key in a test's id differs between xdist's workers.
    ids=["traversal", "a-file-name", "too-short", "not-hex", "upper-case-key", "empty"],
)
async def test_only_generated_keys_name_anything(under_test: StorageUnderTest, name: str) -> None:
    storage = under_test.storage
    with pytest.raises(ValueError, match="not a storage key"):
        await storage.save(name, chunked(b"x"), max_bytes=10)
    with pytest.raises(ValueError, match="not a storage key"):
        await read_all(storage, name)
    with pytest.raises(ValueError, match="not a storage key"):
        await storage.delete(name)
    assert await under_test.names() == []


async def test_uploads_get_random_keys_and_abandoned_ones_are_deleted(
    under_test: StorageUnderTest, database_url: str
) -> None:
    await migrate(database_url, "tickets", MIGRATIONS)
    pool = await create_pool(database_url, "tickets")
    try:
        content = PDF_HEAD + random.randbytes(1000)
        refs = [
            await uploads.upload(
                pool,
                under_test.storage,
                uploaded_by=uuid.uuid4(),
                organisation_id=uuid.uuid4(),
                filename="facture-2024.pdf",
                chunks=chunked(content),
                max_bytes=10_000,
            )
            for _ in range(2)
        ]
        keys = [
            await pool.fetchval(
                "SELECT storage_key FROM attachments WHERE attachment_id = $1", ref.attachment_id
            )
            for ref in refs
        ]
        names = await under_test.names()
        # Same name, same bytes: two random 122-bit keys, and the user's name nowhere.
        assert len(set(keys)) == 2
        assert all(uuid.UUID(key).version == 4 for key in keys)
        assert len(names) == 2
        assert all(key in " ".join(names) for key in keys)
        assert "facture" not in " ".join(names)
        assert [await read_all(under_test.storage, key) for key in keys] == [content, content]

        assert await uploads.delete_abandoned(pool, under_test.storage, dt.timedelta(0)) == 2
        assert await under_test.names() == []
        assert await pool.fetchval("SELECT count(*) FROM attachments") == 0
    finally:
        await pool.close()
