"""Per-request plumbing: request id, trace span, metrics, one log line, and error mapping."""

from __future__ import annotations

import asyncio
import re
import time
import uuid

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler
from opentelemetry import trace

from shared.eventstore import ConcurrencyConflict
from shared.http.problems import Problem
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS
from shared.telemetry import context_from_headers, tracer

log = structlog.get_logger("http")
_tracer = tracer(__name__)
REQUEST_ID_HEADER = "X-Request-Id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
REQUEST_ID = web.RequestKey("request_id", str)
CLIENT_CLOSED_REQUEST = 499


def _route_label(request: web.Request) -> str:
    route = request.match_info.route
    resource = route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: every request gets an id, a server span, a metric sample and a log line."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else str(uuid.uuid4())
    request[REQUEST_ID] = request_id
    route = _route_label(request)
    started = time.perf_counter()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    status = 500
    try:
        with _tracer.start_as_current_span(
            f"{request.method} {route}",
            context=context_from_headers(request.headers),
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": request.method, "http.route": route},
        ) as span:
            response = await handler(request)
            status = response.status
            span.set_attribute("http.response.status_code", status)
            response.headers[REQUEST_ID_HEADER] = request_id
            return response
    except web.HTTPException as answer:
        # A redirect or refusal raised by the handler (services without the problems
        # middleware, such as web, raise them): an answer, not a failure.
        status = answer.status
        raise
    except (asyncio.CancelledError, ConnectionResetError):
        # The client went away (a closed live stream, an abandoned download): nginx's 499,
        # so that error rates count only the server's failures.
        status = CLIENT_CLOSED_REQUEST
        raise
    finally:
        elapsed = time.perf_counter() - started
        HTTP_REQUESTS.labels(request.method, route, str(status)).inc()
        HTTP_LATENCY.labels(request.method, route).observe(elapsed)
        if route not in {"/healthz", "/readyz", "/metrics"}:
            log.info(
                "request",
                method=request.method,
                path=request.path,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )
        structlog.contextvars.unbind_contextvars("request_id")


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every failure into problem+json; a bug is logged in full but answered as a bare 500."""
    try:
        return await handler(request)
    except Problem as problem:
        return problem.response(request)
    except ConcurrencyConflict:
        return Problem(
            409,
            "Conflict",
            "Someone changed this at the same time. Reload it and try again.",
            type_="https://guichet.dev/problems/conflict",
        ).response(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return Problem(error.status, error.reason).response(request)
    except Exception:
        log.exception("unhandled error", path=request.path)
        return Problem(
            500,
            "Internal error",
            "Something went wrong on our side. Quote the request id if you contact support.",
            request_id=request[REQUEST_ID],
        ).response(request)
