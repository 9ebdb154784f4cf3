"""Emails promised by the tickets service's events: the confirmation of a new ticket, and
each reply, request for information and resolution to its requester. Internal notes are not
subscribed to: nothing about them can reach a customer by email."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urljoin

import asyncpg

from services.notifications import directory
from services.notifications.formatting import PRIORITY_LABELS
from services.notifications.mailer import Mailer
from services.notifications.subscriptions.interventions import intervention_handlers
from services.tickets import events as tickets_events
from services.tickets.domain_types import AuthorSide
from shared.consumer import ReceivedEvent, Subscription
from shared.kafka import service_topic


class TicketEmails:
    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer
        self.portal_url = str(mailer.settings.public_url)

    def ticket_url(self, ticket_id: uuid.UUID) -> str:
        return urljoin(self.portal_url, f"tickets/{ticket_id}")

    async def _requester_language(
        self, connection: asyncpg.Connection, requester_id: uuid.UUID | None
    ) -> str | None:
        known = await directory.find_user(connection, requester_id) if requester_id else None
        return known.language if known else None

    async def ticket_opened(self, connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        event = received.event
        assert isinstance(event, tickets_events.TicketOpened)
        await connection.execute(
            "INSERT INTO ticket_requesters (ticket_id, organisation_id, number, title,"
            " requester_id, requester_email) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (ticket_id) DO NOTHING",
            event.ticket_id,
            received.organisation_id,
            event.number,
            event.title,
            event.requester_id,
            event.requester_email,
        )
        language = await self._requester_language(connection, event.requester_id)
        chosen = language if language in PRIORITY_LABELS else None
        labels = PRIORITY_LABELS[chosen or self.mailer.settings.default_language]
        await self.mailer.send(
            connection,
            event_id=received.envelope.id,
            to=event.requester_email,
            language=language,
            template="ticket_opened",
            values={
                "number": event.number,
                "title": event.title,
                "priority_label": labels.get(event.priority.value, event.priority.value),
                "ticket_url": self.ticket_url(event.ticket_id),
            },
            organisation_id=received.organisation_id,
            user_id=event.requester_id,
        )

    async def _to_requester(
        self,
        connection: asyncpg.Connection,
        received: ReceivedEvent,
        ticket_id: uuid.UUID,
        template: str,
        values: dict[str, Any],
        *,
        unless_by: uuid.UUID | None = None,
    ) -> None:
        ticket = await connection.fetchrow(
            "SELECT * FROM ticket_requesters WHERE ticket_id = $1", ticket_id
        )
        if ticket is None:  # opened before notifications kept this copy: nobody to write to
            return
        if unless_by is not None and ticket["requester_id"] == unless_by:
            return  # they did it themselves: they know
        await self.mailer.send(
            connection,
            event_id=received.envelope.id,
            to=ticket["requester_email"],
            language=await self._requester_language(connection, ticket["requester_id"]),
            template=template,
            values={
                "number": ticket["number"],
                "title": ticket["title"],
                "ticket_url": self.ticket_url(ticket_id),
                **values,
            },
            organisation_id=ticket["organisation_id"],
            user_id=ticket["requester_id"],
        )

    async def message_posted(self, connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        event = received.event
        assert isinstance(event, tickets_events.TicketMessagePosted)
        if event.author_side is AuthorSide.AGENT:  # the customer's own messages need no email
            await self._to_requester(
                connection, received, event.ticket_id, "ticket_replied", {"body": event.body}
            )

    async def suspended(self, connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        event = received.event
        assert isinstance(event, tickets_events.TicketSuspended)
        await self._to_requester(
            connection,
            received,
            event.ticket_id,
            "ticket_waiting_for_you",
            {"reason": event.reason},
        )

    async def resolved(self, connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        event = received.event
        assert isinstance(event, tickets_events.TicketResolved)
        await self._to_requester(
            connection,
            received,
            event.ticket_id,
            "ticket_resolved",
            {},
            unless_by=event.resolved_by,
        )


def tickets_subscription(mailer: Mailer) -> Subscription:
    emails = TicketEmails(mailer)
    return Subscription(
        topic=service_topic(mailer.settings.kafka_namespace, "tickets"),
        registry=tickets_events.registry,
        handlers={
            tickets_events.TicketOpened.type: emails.ticket_opened,
            tickets_events.TicketMessagePosted.type: emails.message_posted,
            tickets_events.TicketSuspended.type: emails.suspended,
            tickets_events.TicketResolved.type: emails.resolved,
            **intervention_handlers(mailer),
        },
    )
