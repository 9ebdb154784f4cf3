"""The CloudEvents 1.0 envelope every published event travels in (Kafka structured mode).

Extension attributes carry the organisation, the correlation and causation ids, the actor,
the event's schema version, and W3C trace context (the CloudEvents distributed-tracing
extension). The same trace context is also copied into Kafka headers, where tracing
tools look for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from shared.eventstore import RecordedEvent

CONTENT_TYPE = "application/cloudevents+json"


class CloudEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    subject: str | None = None
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]
    dataversion: int = Field(ge=1, description="Schema version of `data` for this `type`")
    sequence: str | None = Field(default=None, description="Position in the source's event log")
    organisationid: str | None = None
    actorid: str | None = None
    correlationid: str
    causationid: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None

    @classmethod
    def from_recorded(cls, recorded: RecordedEvent, source: str) -> Self:
        return cls(
            id=str(recorded.event_id),
            source=source,
            type=recorded.type,
            subject=recorded.stream_id,
            time=recorded.recorded_at,
            data=recorded.data,
            dataversion=recorded.schema_version,
            sequence=str(recorded.position),
            organisationid=str(recorded.organisation_id) if recorded.organisation_id else None,
            actorid=recorded.actor_id,
            correlationid=recorded.correlation_id,
            causationid=recorded.causation_id,
            traceparent=recorded.traceparent,
            tracestate=recorded.tracestate,
        )

    def kafka_key(self) -> bytes | None:
        return self.subject.encode() if self.subject else None

    def kafka_value(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        headers = [("content-type", CONTENT_TYPE.encode())]
        if self.traceparent:
            headers.append(("traceparent", self.traceparent.encode()))
        if self.tracestate:
            headers.append(("tracestate", self.tracestate.encode()))
        return headers

    @classmethod
    def from_kafka_value(cls, value: bytes) -> Self:
        return cls.model_validate_json(value)

    def trace_headers(self) -> dict[str, str]:
        headers = {"traceparent": self.traceparent} if self.traceparent else {}
        if self.tracestate:
            headers["tracestate"] = self.tracestate
        return headers
