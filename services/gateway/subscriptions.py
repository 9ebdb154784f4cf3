"""What the gateway does with identity's events: keep the blocked memberships it refuses."""

from __future__ import annotations

import asyncpg

from services.gateway.blocklist import BLOCKED_CHANNEL
from services.identity import events as identity_events
from shared.consumer import ReceivedEvent, Subscription
from shared.kafka import service_topic


async def account_blocked(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, identity_events.AccountBlocked)
    await connection.execute(
        "INSERT INTO blocked_memberships (user_id, organisation_id) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING",
        str(event.user_id),
        event.organisation_id,
    )
    # Delivered at commit, to every replica listening: they reload the set at once.
    await connection.execute("SELECT pg_notify($1, '')", BLOCKED_CHANNEL)


async def account_activated(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, identity_events.AccountActivated)
    await connection.execute(
        "DELETE FROM blocked_memberships WHERE user_id = $1 AND organisation_id = $2",
        str(event.user_id),
        event.organisation_id,
    )
    await connection.execute("SELECT pg_notify($1, '')", BLOCKED_CHANNEL)


def subscriptions(namespace: str) -> list[Subscription]:
    return [
        Subscription(
            topic=service_topic(namespace, "identity"),
            registry=identity_events.registry,
            handlers={
                identity_events.AccountBlocked.type: account_blocked,
                identity_events.AccountActivated.type: account_activated,
            },
        )
    ]
