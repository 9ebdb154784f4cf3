"""Serving a stored file as a download: always `Content-Disposition: attachment`, never
rendered by the browser, never cached by a shared cache."""

from __future__ import annotations

import contextlib
import urllib.parse

import structlog
from aiohttp import web

from shared.files.storage import FileStorage, NotStored
from shared.http.problems import Problem

log = structlog.get_logger(__name__)


def disposition(filename: str) -> str:
    """`attachment` with the name in ASCII and, for any other character, in UTF-8."""
    quoted = urllib.parse.quote(filename, safe="")
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quoted}"


def download_headers(content_type: str, filename: str) -> dict[str, str]:
    return {
        "Content-Type": content_type,
        "Content-Disposition": disposition(filename),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }


async def serve_download(
    request: web.Request,
    storage: FileStorage,
    *,
    key: str,
    filename: str,
    content_type: str,
    size: int,
    missing: Problem,
) -> web.StreamResponse:
    """Stream the file; `missing` (a 404) when storage has lost it, answered before any header
    is sent."""
    async with contextlib.aclosing(storage.read(key)) as chunks:
        # The first chunk before the headers: a file gone from storage is still an answer.
        try:
            first: bytes | None = await anext(chunks, b"")
        except NotStored:
            first = None
        if first is None:
            log.error("file missing from storage", storage_key=key)
            raise missing
        response = web.StreamResponse(
            headers={**download_headers(content_type, filename), "Content-Length": str(size)}
        )
        await response.prepare(request)
        await response.write(first)
        async for chunk in chunks:
            await response.write(chunk)
    await response.write_eof()
    return response
