"""Forwarding one request to its service and streaming the answer back.

Bodies stream both ways (never held whole in memory), the request body capped at
`max_body_bytes`. Hop-by-hop headers and anything a client says about forwarding are
dropped; the gateway says who the client is (X-Forwarded-*), which request this is
(X-Request-Id) and which trace it belongs to (traceparent). The original Authorization
header goes through: services verify the token again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import structlog
from aiohttp import web
from multidict import CIMultiDict
from opentelemetry import trace
from yarl import URL

from shared.http.client_ip import IPAddress
from shared.http.middleware import REQUEST_ID, REQUEST_ID_HEADER
from shared.http.problems import Problem
from shared.telemetry import current_trace_headers, tracer

log = structlog.get_logger(__name__)
_tracer = tracer(__name__)
CHUNK = 64 * 1024
# RFC 9110 §7.6.1, plus the headers of the old keep-alive and proxy conventions.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Set by the gateway alone: whatever a client sends under these names is dropped.
GATEWAY_OWNED = frozenset(
    {
        "host",
        "forwarded",
        "x-real-ip",
        "x-request-id",
        "traceparent",
        "tracestate",
        "baggage",
        "content-length",
    }
)


@dataclass(frozen=True)
class Forwarding:
    upstream: URL
    """Base URL of the service."""
    path: str
    """The upstream path, still percent-encoded as the client sent it."""
    service: str
    client: IPAddress
    proto: str
    host: str


class BodyTooLarge(Exception):
    pass


def request_headers(request: web.Request, forwarding: Forwarding) -> CIMultiDict[str]:
    listed = {
        token.strip().lower()
        for value in request.headers.getall("Connection", [])
        for token in value.split(",")
    }
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in request.headers.items():
        lowered = name.lower()
        if (
            lowered in HOP_BY_HOP
            or lowered in listed
            or lowered in GATEWAY_OWNED
            or lowered.startswith(("x-forwarded-", "x-guichet-"))
        ):
            continue
        headers.add(name, value)
    if request.content_length is not None:
        headers["Content-Length"] = str(request.content_length)
    headers["X-Forwarded-For"] = str(forwarding.client)
    headers["X-Forwarded-Proto"] = forwarding.proto
    headers["X-Forwarded-Host"] = forwarding.host
    headers[REQUEST_ID_HEADER] = request[REQUEST_ID]
    headers.update(current_trace_headers())
    return headers


def response_headers(upstream: aiohttp.ClientResponse) -> CIMultiDict[str]:
    listed = {
        token.strip().lower()
        for value in upstream.headers.getall("Connection", [])
        for token in value.split(",")
    }
    return CIMultiDict(
        (name, value)
        for name, value in upstream.headers.items()
        if name.lower() not in HOP_BY_HOP
        and name.lower() not in listed
        and name.lower() not in {"content-length", "x-request-id"}
    )


async def _capped(request: web.Request, limit: int) -> AsyncIterator[bytes]:
    received = 0
    async for chunk in request.content.iter_chunked(CHUNK):
        received += len(chunk)
        if received > limit:
            raise BodyTooLarge
        yield chunk


def too_large(limit: int) -> Problem:
    return Problem(
        413,
        "Request too large",
        f"The body may not exceed {limit} bytes.",
        type_="https://guichet.dev/problems/too-large",
    )


async def forward(
    request: web.Request,
    session: aiohttp.ClientSession,
    forwarding: Forwarding,
    *,
    max_body_bytes: int,
    connect_timeout: float,
    read_timeout: float,
) -> web.StreamResponse:
    if request.content_length is not None and request.content_length > max_body_bytes:
        raise too_large(max_body_bytes)
    query = request.rel_url.raw_query_string
    url = URL(
        str(forwarding.upstream).rstrip("/") + forwarding.path + (f"?{query}" if query else ""),
        encoded=True,  # exactly as the client encoded it: no decoding and re-encoding
    )
    body = _capped(request, max_body_bytes) if request.body_exists else None
    with _tracer.start_as_current_span(
        f"{request.method} {forwarding.service}",
        kind=trace.SpanKind.CLIENT,
        attributes={"http.request.method": request.method, "server.address": forwarding.service},
    ) as span:
        try:
            upstream = await session.request(
                request.method,
                url,
                headers=request_headers(request, forwarding),
                data=body,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=connect_timeout, sock_read=read_timeout
                ),
            )
        except BodyTooLarge:
            raise too_large(max_body_bytes) from None
        except (TimeoutError, aiohttp.ServerTimeoutError):
            raise _upstream_problem(504, forwarding.service) from None
        except aiohttp.ClientError as error:
            if isinstance(error.__cause__, BodyTooLarge) or isinstance(
                error.__context__, BodyTooLarge
            ):
                raise too_large(max_body_bytes) from None
            log.warning(
                "upstream unreachable", service=forwarding.service, error=type(error).__name__
            )
            raise _upstream_problem(502, forwarding.service) from None
        span.set_attribute("http.response.status_code", upstream.status)
        async with upstream:
            return await _stream_back(request, upstream, forwarding.service)


async def _stream_back(
    request: web.Request, upstream: aiohttp.ClientResponse, service: str
) -> web.StreamResponse:
    response = web.StreamResponse(
        status=upstream.status, reason=upstream.reason, headers=response_headers(upstream)
    )
    response.headers[REQUEST_ID_HEADER] = request[REQUEST_ID]
    if upstream.content_length is not None:
        response.content_length = upstream.content_length
    await response.prepare(request)
    try:
        async for chunk in upstream.content.iter_chunked(CHUNK):
            await response.write(chunk)
    except (aiohttp.ClientError, TimeoutError, asyncio.IncompleteReadError) as error:
        # Headers are sent: all that is left is to cut the connection, so the client sees
        # a truncated answer rather than a complete-looking one.
        log.warning("upstream failed mid-answer", service=service, error=type(error).__name__)
        if request.transport is not None:
            request.transport.close()
        return response
    await response.write_eof()
    return response


def _upstream_problem(status: int, service: str) -> Problem:
    titles = {502: "Bad gateway", 503: "Service unavailable", 504: "Gateway timeout"}
    details = {
        502: "The service that answers this could not be reached. Try again shortly.",
        503: "This part of the portal is not available right now.",
        504: "The service that answers this took too long. Try again shortly.",
    }
    return Problem(
        status,
        titles[status],
        details[status],
        type_="https://guichet.dev/problems/upstream-unavailable",
        service=service,
    )


def unavailable(service: str) -> Problem:
    return _upstream_problem(503, service)
