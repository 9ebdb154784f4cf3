"""The event store: append with an expected version, load a stream, read everything in order.

Appending writes the events and their outbox rows in the caller's transaction, so state,
events and what will be published commit (or vanish) together.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from shared.events import DomainEvent, EventRegistry, JsonObject
from shared.metrics import APPEND_CONFLICTS, EVENTS_APPENDED
from shared.telemetry import current_trace_headers


class ConcurrencyConflict(Exception):
    """The stream moved on since it was loaded: the command lost a race. Answered as HTTP 409."""

    def __init__(self, stream_id: str, expected_version: int) -> None:
        super().__init__(f"stream {stream_id} is no longer at version {expected_version}")
        self.stream_id = stream_id
        self.expected_version = expected_version


@dataclass(frozen=True)
class EventContext:
    """Who and what caused the events being appended; carried into the CloudEvent envelope."""

    correlation_id: str
    organisation_id: uuid.UUID | None = None
    actor_id: str | None = None
    causation_id: str | None = None

    @classmethod
    def new(cls, **kwargs: Any) -> EventContext:
        return cls(correlation_id=str(uuid.uuid4()), **kwargs)


@dataclass(frozen=True)
class RecordedEvent:
    """An event as stored: its position in the service's log and its envelope fields."""

    position: int
    event_id: uuid.UUID
    stream_id: str
    stream_type: str
    version: int
    type: str
    schema_version: int
    data: JsonObject
    organisation_id: uuid.UUID | None
    actor_id: str | None
    correlation_id: str
    causation_id: str | None
    traceparent: str | None
    tracestate: str | None
    recorded_at: datetime
    trace_headers: dict[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> RecordedEvent:
        values = dict(row)
        headers = {"traceparent": values["traceparent"]} if values["traceparent"] else {}
        if values["tracestate"]:
            headers["tracestate"] = values["tracestate"]
        return cls(**values, trace_headers=headers)


# An event row's columns, in RecordedEvent's field order (the relay reads the same).
EVENT_COLUMNS = (
    "position, event_id, stream_id, stream_type, version, type, schema_version, data,"
    " organisation_id, actor_id, correlation_id, causation_id, traceparent, tracestate,"
    " recorded_at"
)

# One statement, one round trip: insert only if the stream is still at the expected version.
# Two writers that both see the same version both try to insert the same (stream, version);
# the unique constraint lets one win, and the other inserts nothing (ON CONFLICT DO NOTHING
# waits for the winner to commit), so no interleaving can leave a gap or overwrite. The
# relay is woken only when no committed event is already waiting for it: a relay with work
# in hand finds these on its next pass, its poll bounds any miss, and busy writers do not
# all take the lock PostgreSQL holds at commit for every transaction that notified.
_APPEND = f"""
WITH current AS (
    SELECT coalesce(max(version), 0) AS version FROM events WHERE stream_id = $1
), appended AS (
    INSERT INTO events (event_id, stream_id, stream_type, version, type, schema_version, data,
                        organisation_id, actor_id, correlation_id, causation_id,
                        traceparent, tracestate)
    SELECT new.event_id, $1, $2, $3 + new.ordinal, new.type, new.schema_version,
           new.data::jsonb, $7, $8, $9, $10, $11, $12
    FROM unnest($4::uuid[], $5::text[], $6::int[], $13::text[])
         WITH ORDINALITY AS new(event_id, type, schema_version, data, ordinal),
         current
    WHERE current.version = $3
    ON CONFLICT ON CONSTRAINT events_stream_version_key DO NOTHING
    RETURNING {EVENT_COLUMNS}
), queued AS (
    INSERT INTO outbox (position) SELECT position FROM appended
), woken AS (
    SELECT pg_notify($14, '')
    WHERE EXISTS (SELECT FROM appended) AND NOT EXISTS (SELECT FROM outbox)
)
SELECT {EVENT_COLUMNS} FROM appended, (SELECT count(*) FROM woken) AS wake ORDER BY version
"""


class EventStore:
    """Reads and writes one service's event log inside the caller's transaction."""

    def __init__(self, registry: EventRegistry, notify_channel: str) -> None:
        self.registry = registry
        self.notify_channel = notify_channel

    async def append(
        self,
        connection: asyncpg.Connection,
        *,
        stream_id: str,
        stream_type: str,
        expected_version: int,
        events: Sequence[DomainEvent],
        context: EventContext,
    ) -> list[RecordedEvent]:
        """Append `events` after `expected_version` (0 for a new stream), or raise a conflict.

        Must run inside a transaction: the outbox rows and the wake-up notification for the
        relay take effect only when the caller commits.
        """
        if not connection.is_in_transaction():
            raise RuntimeError("append must run inside a transaction")
        if not events:
            return []
        trace_headers = current_trace_headers()
        rows = await connection.fetch(
            _APPEND,
            stream_id,
            stream_type,
            expected_version,
            [uuid.uuid4() for _ in events],
            [event.type for event in events],
            [event.version for event in events],
            context.organisation_id,
            context.actor_id,
            context.correlation_id,
            context.causation_id,
            trace_headers.get("traceparent"),
            trace_headers.get("tracestate"),
            [json.dumps(self.registry.encode(event)) for event in events],
            self.notify_channel,
        )
        if len(rows) < len(events):
            if rows:
                # Only part of the batch went in: a shorter append won a race for the first
                # versions. Take ours back out; the caller's transaction stays usable.
                positions = [row["position"] for row in rows]
                await connection.execute("DELETE FROM outbox WHERE position = ANY($1)", positions)
                await connection.execute("DELETE FROM events WHERE position = ANY($1)", positions)
            APPEND_CONFLICTS.inc()
            raise ConcurrencyConflict(stream_id, expected_version)
        for event in events:
            EVENTS_APPENDED.labels(event.type).inc()
        return [RecordedEvent.from_row(row) for row in rows]

    async def load(
        self, connection: asyncpg.Connection, stream_id: str
    ) -> tuple[list[DomainEvent], int]:
        """The stream's events, upcast to today's classes, and its current version (0: none)."""
        rows = await connection.fetch(
            "SELECT type, schema_version, data, version FROM events"
            " WHERE stream_id = $1 ORDER BY version",
            stream_id,
        )
        events = [self.registry.decode(r["type"], r["schema_version"], r["data"]) for r in rows]
        return events, rows[-1]["version"] if rows else 0

    async def read_all(
        self, connection: asyncpg.Connection, *, after: int = 0, limit: int = 1000
    ) -> list[RecordedEvent]:
        """Events in position order, from `after` (exclusive). Positions have gaps where a
        transaction rolled back; a reader that must not miss late commits uses the outbox."""
        rows = await connection.fetch(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2",
            after,
            limit,
        )
        return [RecordedEvent.from_row(row) for row in rows]

    def decode(self, recorded: RecordedEvent) -> DomainEvent:
        return self.registry.decode(recorded.type, recorded.schema_version, recorded.data)
