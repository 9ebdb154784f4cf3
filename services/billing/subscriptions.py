"""What billing does with other services' events: keep its copy of identity's organisations
(the ERP names a customer by its code; a rendered invoice shows its name and address), and
ask the ERP to invoice an order once orders tells it was delivered in full (`OrderShipped`
with `delivered_in_full`: `handlers.request_invoice`, docs/events.md InvoiceRequested)."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg

from services.billing import directory, handlers
from services.billing.domain import DeliveredOrder
from services.billing.events import RequestedLine
from services.identity import events as identity
from services.orders import events as orders
from shared.consumer import ReceivedEvent, Subscription
from shared.eventstore import EventStore
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


class DeliveredOrders:
    """Orders' shipments: the one that completes an order asks for its invoice, once (the
    inbox skips a redelivered event; the request's stream refuses a second request)."""

    def __init__(self, store: EventStore, zone: ZoneInfo) -> None:
        self.store = store
        self.zone = zone

    async def order_shipped(self, connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        event = received.event
        assert isinstance(event, orders.OrderShipped)
        if not event.delivered_in_full:  # partly delivered: invoiced once the rest ships
            return
        order = DeliveredOrder(
            organisation_id=event.organisation_id,
            order_id=event.order_id,
            order_number=event.number,
            # The whole order as placed: what earlier partial shipments took is invoiced too.
            lines=tuple(
                RequestedLine(
                    reference=line.reference,
                    description=line.description,
                    quantity=Decimal(line.quantity),
                )
                for line in event.order_lines
            ),
            # The day it shipped, on the vendor's calendar (the day its invoice names).
            delivered_on=received.envelope.time.astimezone(self.zone).date(),
            customer_reference=event.customer_reference,
        )
        await handlers.request_invoice(connection, self.store, order, received.reaction_context())


def subscriptions(kafka_namespace: str, store: EventStore, zone: ZoneInfo) -> list[Subscription]:
    delivered = DeliveredOrders(store, zone)
    return [
        Subscription(
            topic=service_topic(kafka_namespace, "identity"),
            registry=identity.registry,
            handlers={
                identity.OrganisationRegistered.type: organisation_registered,
                identity.OrganisationDetailsChanged.type: organisation_details_changed,
            },
        ),
        Subscription(
            topic=service_topic(kafka_namespace, "orders"),
            registry=orders.registry,
            handlers={orders.OrderShipped.type: delivered.order_shipped},
        ),
    ]
