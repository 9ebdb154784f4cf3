"""Emails promised by the billing service's events: a new invoice, and an overdue one, to
the organisation's accounting referents (its admins when it named none), each in their own
language, with a link to the PDF."""

from __future__ import annotations

import uuid
from urllib.parse import urljoin

import asyncpg

from services.billing import events as billing_events
from services.notifications.mailer import Mailer
from shared.consumer import ReceivedEvent, Subscription
from shared.kafka import service_topic


class InvoiceEmails:
    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer
        self.portal_url = str(mailer.settings.public_url)

    def links(self, invoice_id: uuid.UUID) -> dict[str, str]:
        # The portal's pages (the web service): the invoice, and its PDF for a signed-in user.
        return {
            "invoice_url": urljoin(self.portal_url, f"invoices/{invoice_id}"),
            "pdf_url": urljoin(self.portal_url, f"invoices/{invoice_id}/pdf"),
        }

    async def invoice_issued(self, connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        event = received.event
        assert isinstance(event, billing_events.InvoiceIssued)
        await self.mailer.send_to_referents(
            connection,
            event_id=received.envelope.id,
            organisation_id=event.organisation_id,
            kind="accounting",
            template="invoice_issued",
            values={
                "number": event.number,
                "issue_date": event.issue_date.isoformat(),
                "due_date": event.due_date.isoformat(),
                "total_incl_tax": str(event.total_incl_tax),
                "currency": event.currency,
                **self.links(event.invoice_id),
            },
        )

    async def invoice_overdue(
        self, connection: asyncpg.Connection, received: ReceivedEvent
    ) -> None:
        event = received.event
        assert isinstance(event, billing_events.InvoiceOverdue)
        await self.mailer.send_to_referents(
            connection,
            event_id=received.envelope.id,
            organisation_id=event.organisation_id,
            kind="accounting",
            template="invoice_overdue",
            values={
                "number": event.number,
                "due_date": event.due_date.isoformat(),
                "balance": str(event.balance),
                "currency": event.currency,
                **self.links(event.invoice_id),
            },
        )


def billing_subscription(mailer: Mailer) -> Subscription:
    emails = InvoiceEmails(mailer)
    return Subscription(
        topic=service_topic(mailer.settings.kafka_namespace, "billing"),
        registry=billing_events.registry,
        handlers={
            billing_events.InvoiceIssued.type: emails.invoice_issued,
            billing_events.InvoiceOverdue.type: emails.invoice_overdue,
        },
    )
