"""Emails promised by the tickets service's events."""

from __future__ import annotations

from urllib.parse import urljoin

import asyncpg

from services.notifications.outgoing import queue_email
from services.notifications.rendering import EmailRenderer
from services.notifications.settings import NotificationsSettings
from services.tickets import events as tickets_events
from shared.consumer import ReceivedEvent, Subscription
from shared.kafka import service_topic

PRIORITY_LABELS = {
    "fr": {"low": "basse", "normal": "normale", "high": "haute", "urgent": "urgente"},
    "en": {"low": "low", "normal": "normal", "high": "high", "urgent": "urgent"},
}


def tickets_subscription(settings: NotificationsSettings, renderer: EmailRenderer) -> Subscription:
    public_url = str(settings.public_url)

    async def ticket_opened(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        event = received.event
        assert isinstance(event, tickets_events.TicketOpened)
        language = settings.default_language
        email = renderer.render(
            "ticket_opened",
            language,
            {
                "number": event.number,
                "title": event.title,
                "priority_label": PRIORITY_LABELS[language][event.priority.value],
                "ticket_url": urljoin(public_url, f"tickets/{event.ticket_id}"),
            },
        )
        await queue_email(
            connection,
            event_id=received.envelope.id,
            organisation_id=received.organisation_id,
            recipient=event.requester_email,
            language=language,
            template="ticket_opened",
            email=email,
            sender=settings.mail_from,
        )

    return Subscription(
        topic=service_topic(settings.kafka_namespace, "tickets"),
        registry=tickets_events.registry,
        handlers={tickets_events.TicketOpened.type: ticket_opened},
    )
