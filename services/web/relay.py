"""Relaying an API answer to the browser as it comes: the live-updates stream and
attachment downloads, which the browser cannot ask the API for itself (the bearer token stays
in the portal's session)."""

from __future__ import annotations

import aiohttp
from aiohttp import web

CHUNK = 64 * 1024


async def relay(
    request: web.Request, upstream: aiohttp.ClientResponse, headers: tuple[str, ...]
) -> web.StreamResponse:
    """The upstream body, chunk by chunk, with the named headers of its answer."""
    response = web.StreamResponse(
        status=upstream.status,
        headers={name: upstream.headers[name] for name in headers if name in upstream.headers},
    )
    if upstream.content_length is not None:
        response.content_length = upstream.content_length
    await response.prepare(request)
    try:
        async for chunk in upstream.content.iter_any():
            await response.write(chunk)
    except (ConnectionResetError, aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError):
        # The browser left, or the API's stream ended early: either way there is no one to tell.
        return response
    await response.write_eof()
    return response
