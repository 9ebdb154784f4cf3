"""Logs, traces and the W3C trace context that crosses HTTP and Kafka.

Every log line is JSON carrying the service, the request id and the current trace and span
ids, so a line can be found from a trace and a trace from a line.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

_configured_service: str | None = None


def _add_trace_ids(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event["trace_id"] = format(span_context.trace_id, "032x")
        event["span_id"] = format(span_context.span_id, "016x")
    return event


def configure_logging(service: str, level: str = "info", fmt: str = "json") -> None:
    """Route structlog and the standard library (aiohttp, aiokafka) through one JSON renderer."""
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_trace_ids,
        structlog.processors.format_exc_info,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared_processors,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiohttp's access log duplicates the request log written by our middleware.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, root.level))
    structlog.contextvars.bind_contextvars(service=service)


def configure_tracing(
    service: str, otlp_endpoint: str | None = None, exporter: SpanExporter | None = None
) -> None:
    """Install the tracer provider once per process; spans go to OTLP when an endpoint is set.

    Without an exporter, spans are still created and their ids still propagate and appear in
    logs, so a request can be followed across services by its trace id.
    """
    global _configured_service  # noqa: PLW0603 - one provider per process, as OpenTelemetry requires
    if _configured_service is not None:
        return
    if exporter is None and otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )

        exporter = OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces")
    provider = TracerProvider(
        resource=Resource.create({"service.name": service}),
        # Nothing to send spans to: record none (ids are still made, propagated and logged).
        sampler=None if exporter is not None else ALWAYS_OFF,
    )
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _configured_service = service


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def current_trace_headers() -> dict[str, str]:
    """The W3C `traceparent` (and `tracestate`) of the current span, ready for a carrier."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from_headers(headers: Mapping[str, str]) -> Context:
    return propagate.extract(dict(headers))
