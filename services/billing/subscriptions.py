"""What billing does with other services' events: keep its copy of identity's organisations
(the ERP names a customer by its code; a rendered invoice shows its name and address).

Orders' "delivered in full" will call `handlers.request_invoice` from here once the orders
service publishes it (docs/events.md, InvoiceRequested)."""

from __future__ import annotations

import asyncpg

from services.billing import directory
from services.identity import events as identity
from shared.consumer import ReceivedEvent, Subscription
from shared.kafka import service_topic


async def organisation_registered(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, identity.OrganisationRegistered)
    await directory.save_organisation(
        connection,
        organisation_id=event.organisation_id,
        code=event.code,
        legal_name=event.details.legal_name,
        language=event.language,
        billing_address=directory.address_lines(event.details.billing_address, event.language),
    )


async def organisation_details_changed(
    connection: asyncpg.Connection, received: ReceivedEvent
) -> None:
    event = received.event
    assert isinstance(event, identity.OrganisationDetailsChanged)
    await directory.save_organisation(
        connection,
        organisation_id=event.organisation_id,
        code=None,
        legal_name=event.details.legal_name,
        language=event.language,
        billing_address=directory.address_lines(event.details.billing_address, event.language),
    )


def subscriptions(kafka_namespace: str) -> list[Subscription]:
    return [
        Subscription(
            topic=service_topic(kafka_namespace, "identity"),
            registry=identity.registry,
            handlers={
                identity.OrganisationRegistered.type: organisation_registered,
                identity.OrganisationDetailsChanged.type: organisation_details_changed,
            },
        )
    ]
