"""Giving an app the file storage its settings name."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from shared.files.s3 import S3Storage
from shared.files.settings import FileStorageSettings
from shared.files.storage import FileStorage, LocalDirectoryStorage


def install_storage(
    app: web.Application, key: web.AppKey[FileStorage], settings: FileStorageSettings
) -> None:
    """`app[key]`: the local directory, or the bucket, connected at start-up so that a wrong
    bucket or key stops the service right away rather than failing the first upload."""
    location = settings.attachments_s3
    if location is None:
        app[key] = LocalDirectoryStorage(settings.attachments_dir)
        return

    async def s3_storage(app: web.Application) -> AsyncIterator[None]:
        async with S3Storage.connect(location) as storage:
            app[key] = storage
            yield

    app.cleanup_ctx.append(s3_storage)
