"""Uploads and their rows: a row before the file, the file, then the row marked stored; a
failed upload removes both. Messages then claim stored uploads, once, in their transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import structlog

from services.tickets.events import AttachmentRef
from shared.files.sniffing import NotAccepted, save_sniffed
from shared.files.storage import FileStorage

log = structlog.get_logger(__name__)


# The file's content is not of an accepted type (or is empty).
UploadRefused = NotAccepted


@dataclass(frozen=True)
class StoredFile:
    attachment_id: uuid.UUID
    storage_key: str
    filename: str
    content_type: str
    size: int


async def upload(
    pool: asyncpg.Pool,
    storage: FileStorage,
    *,
    uploaded_by: uuid.UUID,
    organisation_id: uuid.UUID | None,
    filename: str,
    chunks: AsyncIterator[bytes],
    max_bytes: int,
) -> AttachmentRef:
    """Store a file and its row; UploadRefused or storage.TooLarge leave neither behind."""
    attachment_id, key = uuid.uuid4(), uuid.uuid4().hex
    await pool.execute(
        "INSERT INTO attachments (attachment_id, storage_key, uploaded_by, organisation_id,"
        " filename, state) VALUES ($1, $2, $3, $4, $5, 'uploading')",
        attachment_id,
        key,
        uploaded_by,
        organisation_id,
        filename,
    )
    try:
        size, content_type = await save_sniffed(storage, key, chunks, max_bytes=max_bytes)
    except BaseException:
        await pool.execute("DELETE FROM attachments WHERE attachment_id = $1", attachment_id)
        raise
    await pool.execute(
        "UPDATE attachments SET state = 'stored', content_type = $2, size = $3"
        " WHERE attachment_id = $1",
        attachment_id,
        content_type,
        size,
    )
    return AttachmentRef(
        attachment_id=attachment_id, filename=filename, content_type=content_type, size=size
    )


async def claim(
    connection: asyncpg.Connection, attachment_ids: list[uuid.UUID], uploaded_by: uuid.UUID
) -> tuple[AttachmentRef, ...] | None:
    """The uploads `uploaded_by` stored and has not attached yet, locked for this transaction;
    None when any id is not one of them."""
    if not attachment_ids:
        return ()
    rows = await connection.fetch(
        "SELECT attachment_id, filename, content_type, size FROM attachments"
        " WHERE attachment_id = ANY($1::uuid[]) AND uploaded_by = $2 AND state = 'stored'"
        " AND ticket_id IS NULL FOR UPDATE",
        list(dict.fromkeys(attachment_ids)),
        uploaded_by,
    )
    if len(rows) != len(set(attachment_ids)):
        return None
    by_id = {row["attachment_id"]: row for row in rows}
    return tuple(AttachmentRef(**dict(by_id[i])) for i in dict.fromkeys(attachment_ids))


async def for_download(
    connection: asyncpg.Pool | asyncpg.Connection,
    ticket_id: uuid.UUID,
    attachment_id: uuid.UUID,
    *,
    include_internal: bool,
) -> StoredFile | None:
    row = await connection.fetchrow(
        "SELECT attachment_id, storage_key, filename, content_type, size FROM attachments"
        " WHERE attachment_id = $1 AND ticket_id = $2 AND state = 'stored'"
        " AND ($3 OR NOT internal)",
        attachment_id,
        ticket_id,
        include_internal,
    )
    return StoredFile(**dict(row)) if row else None


async def delete_abandoned(
    pool: asyncpg.Pool, storage: FileStorage, older_than: dt.timedelta
) -> int:
    """Delete uploads never attached (and uploads a crash left half-done): file, then row."""
    rows = await pool.fetch(
        "SELECT attachment_id, storage_key FROM attachments"
        " WHERE ticket_id IS NULL AND uploaded_at < now() - $1::interval LIMIT 500",
        older_than,
    )
    for row in rows:
        # The row goes first, unless a message claimed it meanwhile; a crash before the file
        # goes leaves a file no row names, which nothing can serve.
        deleted = await pool.fetchval(
            "DELETE FROM attachments WHERE attachment_id = $1 AND ticket_id IS NULL RETURNING true",
            row["attachment_id"],
        )
        if deleted:
            await storage.delete(row["storage_key"])
    if rows:
        log.info("abandoned uploads deleted", count=len(rows))
    return len(rows)
