"""Answers the API streams (a download, an export, the live events), passed on to the
browser as they come: the browser never holds the access token, the portal's session
authenticates it."""

from __future__ import annotations

from collections.abc import Iterable

import aiohttp
from aiohttp import web

from services.web.middlewares import SECURITY_HEADERS

CHUNK = 64 * 1024
DOWNLOAD_HEADERS = (
    "Content-Type",
    "Content-Length",
    "Content-Disposition",
    "X-Content-Type-Options",
    "Cache-Control",
)


async def relay(
    request: web.Request,
    upstream: aiohttp.ClientResponse,
    headers: Iterable[str] = DOWNLOAD_HEADERS,
    extra: dict[str, str] | None = None,
) -> web.StreamResponse:
    response = web.StreamResponse(status=upstream.status)
    for name in headers:
        if name in upstream.headers:
            response.headers[name] = upstream.headers[name]
    # Set here: once the answer has started, the security middleware can add nothing.
    for name, value in {**SECURITY_HEADERS, **(extra or {})}.items():
        response.headers.setdefault(name, value)
    await response.prepare(request)
    try:
        # iter_any: each piece as soon as it arrives (an event must not wait for a full chunk).
        async for chunk in upstream.content.iter_any():
            await response.write(chunk)
    except (aiohttp.ClientError, ConnectionResetError):
        # The API or the browser went away mid-answer: nothing more can be said to either.
        return response
    await response.write_eof()
    return response
