"""What fleet does with other services' events: keep its copy of identity's organisations
(the ERP import names an organisation by its code; registrations check it exists, and that
a site's branch is one of its branches)."""

from __future__ import annotations

import asyncpg

from services.fleet.tickets_history import tickets_subscription
from services.identity import events as identity
from shared.consumer import ReceivedEvent, Subscription
from shared.kafka import service_topic


async def organisation_known(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    if isinstance(event, identity.OrganisationRegistered):
        await connection.execute(
            "INSERT INTO organisations (organisation_id, code, legal_name, branches)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (organisation_id) DO UPDATE SET"
            " code = excluded.code, legal_name = excluded.legal_name,"
            " branches = excluded.branches",
            event.organisation_id,
            event.code,
            event.details.legal_name,
            [branch.branch_id for branch in event.details.branches],
        )
    elif isinstance(event, identity.OrganisationDetailsChanged):
        await connection.execute(
            "UPDATE organisations SET legal_name = $2, branches = $3 WHERE organisation_id = $1",
            event.organisation_id,
            event.details.legal_name,
            [branch.branch_id for branch in event.details.branches],
        )


def subscriptions(kafka_namespace: str) -> list[Subscription]:
    return [
        Subscription(
            topic=service_topic(kafka_namespace, "identity"),
            registry=identity.registry,
            handlers={
                identity.OrganisationRegistered.type: organisation_known,
                identity.OrganisationDetailsChanged.type: organisation_known,
            },
        ),
        tickets_subscription(kafka_namespace),
    ]
