"""Registered endpoints and their deliveries: what an organisation's admins see and manage,
and the queuing of deliveries in the transaction that handles an event."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import asyncpg
from pydantic import BaseModel, Field

from services.notifications.webhooks.signing import new_secret
from shared.consumer import Handler, ReceivedEvent, Subscription
from shared.sealing import Sealer

WEBHOOK_CHANNEL = "notifications_webhooks"
EndpointStatus = Literal["active", "disabled"]
DeliveryStatus = Literal["pending", "delivered", "failed"]


class WebhookEndpoint(BaseModel):
    endpoint_id: uuid.UUID
    url: str
    event_types: list[str]
    description: str
    status: EndpointStatus = Field(
        description="disabled: it failed too many times in a row; enable it again once fixed"
    )
    consecutive_failures: int
    created_by: uuid.UUID
    created_at: datetime
    disabled_at: datetime | None


class WebhookAttempt(BaseModel):
    attempt: int
    attempted_at: datetime
    response_status: int | None = Field(description="The endpoint's HTTP status, if it answered")
    error: str | None
    duration_ms: int


class WebhookDelivery(BaseModel):
    delivery_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None = Field(description="When pending: the next try")
    delivered_at: datetime | None
    history: list[WebhookAttempt]


_ENDPOINT_COLUMNS = (
    "endpoint_id, url, event_types, description, status, consecutive_failures, created_by,"
    " created_at, disabled_at"
)


async def register(
    connection: asyncpg.Connection,
    sealer: Sealer,
    *,
    organisation_id: uuid.UUID,
    url: str,
    event_types: list[str],
    description: str,
    created_by: uuid.UUID,
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its signing secret, which is never shown again."""
    endpoint_id = uuid.uuid4()
    secret = new_secret()
    row = await connection.fetchrow(
        "INSERT INTO webhook_endpoints (endpoint_id, organisation_id, url, event_types,"
        " description, sealed_secret, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        f" RETURNING {_ENDPOINT_COLUMNS}",
        endpoint_id,
        organisation_id,
        url,
        event_types,
        description,
        sealer.seal(secret, subject=str(endpoint_id)),
        created_by,
    )
    return WebhookEndpoint(**row), secret


async def endpoints_of(
    connection: asyncpg.Connection, organisation_id: uuid.UUID
) -> list[WebhookEndpoint]:
    rows = await connection.fetch(
        f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organisation_id = $1"
        " ORDER BY created_at, endpoint_id",
        organisation_id,
    )
    return [WebhookEndpoint(**row) for row in rows]


async def endpoint_of(
    connection: asyncpg.Connection, organisation_id: uuid.UUID, endpoint_id: uuid.UUID
) -> WebhookEndpoint | None:
    row = await connection.fetchrow(
        f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints"
        " WHERE organisation_id = $1 AND endpoint_id = $2",
        organisation_id,
        endpoint_id,
    )
    return WebhookEndpoint(**row) if row else None


async def remove(
    connection: asyncpg.Connection, organisation_id: uuid.UUID, endpoint_id: uuid.UUID
) -> bool:
    removed = await connection.fetchval(
        "DELETE FROM webhook_endpoints WHERE organisation_id = $1 AND endpoint_id = $2"
        " RETURNING true",
        organisation_id,
        endpoint_id,
    )
    return bool(removed)


async def enable(
    connection: asyncpg.Connection, organisation_id: uuid.UUID, endpoint_id: uuid.UUID
) -> WebhookEndpoint | None:
    """Active again, its failure count reset; what waited while it was disabled goes now."""
    row = await connection.fetchrow(
        "UPDATE webhook_endpoints SET status = 'active', consecutive_failures = 0,"
        " disabled_at = NULL WHERE organisation_id = $1 AND endpoint_id = $2"
        f" RETURNING {_ENDPOINT_COLUMNS}",
        organisation_id,
        endpoint_id,
    )
    if row is None:
        return None
    await connection.execute(
        "UPDATE webhook_deliveries SET next_attempt_at = now()"
        " WHERE endpoint_id = $1 AND status = 'pending'",
        endpoint_id,
    )
    await connection.execute("SELECT pg_notify($1, '')", WEBHOOK_CHANNEL)
    return WebhookEndpoint(**row)


async def deliveries_of(
    connection: asyncpg.Connection, endpoint_id: uuid.UUID, limit: int
) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first, each with its attempts."""
    rows = await connection.fetch(
        "SELECT d.delivery_id, d.event_id, d.event_type, d.status, d.attempts, d.created_at,"
        " CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS next_attempt_at,"
        " d.delivered_at, coalesce(("
        "   SELECT jsonb_agg(jsonb_build_object('attempt', a.attempt,"
        "     'attempted_at', a.attempted_at, 'response_status', a.response_status,"
        "     'error', a.error, 'duration_ms', a.duration_ms) ORDER BY a.attempt)"
        "   FROM webhook_attempts a WHERE a.delivery_id = d.delivery_id), '[]') AS history"
        " FROM webhook_deliveries d WHERE d.endpoint_id = $1"
        " ORDER BY d.created_at DESC, d.delivery_id DESC LIMIT $2",
        endpoint_id,
        limit,
    )
    return [WebhookDelivery(**row) for row in rows]


async def queue_deliveries(connection: asyncpg.Connection, received: ReceivedEvent) -> int:
    """One delivery per endpoint of the event's own organisation that chose its type, in the
    caller's transaction. An event naming no organisation reaches no endpoint. Disabled
    endpoints get theirs too: they are sent once the endpoint is enabled again."""
    organisation_id = received.organisation_id
    if organisation_id is None:
        return 0
    envelope = received.envelope
    # What a receiver needs, without our tracing context.
    body = envelope.model_copy(update={"traceparent": None, "tracestate": None}).kafka_value()
    queued = await connection.fetch(
        "INSERT INTO webhook_deliveries (delivery_id, endpoint_id, event_id, event_type, body)"
        " SELECT gen_random_uuid(), endpoint_id, $2, $3, $4 FROM webhook_endpoints"
        " WHERE organisation_id = $1 AND $3 = ANY(event_types)"
        " ON CONFLICT ON CONSTRAINT one_delivery_per_endpoint_and_event DO NOTHING"
        " RETURNING delivery_id",
        organisation_id,
        uuid.UUID(envelope.id),
        envelope.type,
        body,
    )
    if queued:
        await connection.execute("SELECT pg_notify($1, '')", WEBHOOK_CHANNEL)
    return len(queued)


def with_webhooks(subscription: Subscription, event_types: set[str]) -> Subscription:
    """The subscription, with each of its events that webhooks offer also queued for the
    organisation's endpoints, in the same transaction as its emails."""
    handlers = dict(subscription.handlers)
    for event_type in event_types:
        if not subscription.registry.knows(event_type):
            continue
        handlers[event_type] = _and_queue_deliveries(handlers.get(event_type))
    return Subscription(topic=subscription.topic, registry=subscription.registry, handlers=handlers)


def _and_queue_deliveries(emails: Handler | None) -> Handler:
    async def handle(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        if emails is not None:
            await emails(connection, received)
        await queue_deliveries(connection, received)

    return handle
