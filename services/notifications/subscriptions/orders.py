"""Emails promised by the orders service's events (flows 16 and 17, seed 003), each to the person
who placed the order, at the address the order names, in their language: the summary of an
order placed, its validation (deliverable in full, being prepared), each shipment (carrier,
delivery note, what is still outstanding) and the confirmation of a cancellation. Seed 003
promises the summary and the cancellation; the validation and the shipments are told too,
as customers ask "where is my toner?" otherwise. They belong to the `orders` category
(`order_…`), which a user may turn off."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urljoin

import asyncpg

from services.notifications.mailer import Mailer
from services.orders import events as orders_events
from services.orders.domain_types import OrderedLine, ShippedLine
from shared.consumer import ReceivedEvent, Subscription
from shared.kafka import service_topic


def _lines(
    lines: tuple[ShippedLine, ...], described: tuple[OrderedLine, ...]
) -> list[dict[str, Any]]:
    """Shipped or outstanding quantities, with the catalogue's description from the order."""
    descriptions = {line.reference: line.description for line in described}
    return [
        {
            "reference": line.reference,
            "description": descriptions.get(line.reference, ""),
            "quantity": line.quantity,
        }
        for line in lines
    ]


class OrderEmails:
    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer
        self.portal_url = str(mailer.settings.public_url)

    def order_url(self, order_id: uuid.UUID, *path: str) -> str:
        return urljoin(self.portal_url, "/".join(("orders", str(order_id), *path)))

    async def _to_customer(
        self,
        connection: asyncpg.Connection,
        received: ReceivedEvent,
        template: str,
        values: dict[str, Any],
    ) -> None:
        event = received.event
        assert isinstance(event, orders_events.OrderEvent)
        await self.mailer.send_to_address(
            connection,
            event_id=received.envelope.id,
            to=str(event.placed_by_email),
            user_id=event.placed_by,
            template=template,
            values={
                "number": event.number,
                "serial_number": event.serial_number,
                "model_name": event.model_name,
                "order_url": self.order_url(event.order_id),
                **values,
            },
            organisation_id=event.organisation_id,
        )

    async def placed(self, connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        event = received.event
        assert isinstance(event, orders_events.OrderPlaced)
        await self._to_customer(
            connection,
            received,
            "order_placed",
            {
                "site_name": event.site_name,
                "location": event.location,
                "lines": [
                    {
                        "reference": line.reference,
                        "description": line.description,
                        "quantity": line.quantity,
                    }
                    for line in event.lines
                ],
                "delivery_comment": event.delivery_comment,
                "customer_reference": event.customer_reference,
            },
        )

    async def validated(self, connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        assert isinstance(received.event, orders_events.OrderValidated)
        await self._to_customer(connection, received, "order_validated", {})

    async def shipped(self, connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        event = received.event
        assert isinstance(event, orders_events.OrderShipped)
        await self._to_customer(
            connection,
            received,
            "order_shipped",
            {
                "carrier": event.carrier,
                "delivery_note_number": event.delivery_note_number,
                "delivered_in_full": event.delivered_in_full,
                "shipped": _lines(event.shipped_lines, event.order_lines),
                "outstanding": _lines(event.outstanding, event.order_lines),
                "customer_reference": event.customer_reference,
                "delivery_note_url": self.order_url(
                    event.order_id, "shipments", str(event.shipment_id), "delivery-note.pdf"
                ),
            },
        )

    async def cancelled(self, connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        event = received.event
        assert isinstance(event, orders_events.OrderCancelled)
        await self._to_customer(
            connection,
            received,
            "order_cancelled",
            {"comment": event.comment, "by_vendor": event.by_vendor},
        )


def orders_subscription(mailer: Mailer) -> Subscription:
    emails = OrderEmails(mailer)
    return Subscription(
        topic=service_topic(mailer.settings.kafka_namespace, "orders"),
        registry=orders_events.registry,
        handlers={
            orders_events.OrderPlaced.type: emails.placed,
            orders_events.OrderValidated.type: emails.validated,
            orders_events.OrderShipped.type: emails.shipped,
            orders_events.OrderCancelled.type: emails.cancelled,
        },
    )
