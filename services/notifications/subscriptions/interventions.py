"""Emails promised by interventions (flow 14): the summary of a request, carrying its number,
its date and technician once scheduled (again when rescheduled), and the confirmation of a
cancellation, each to the requester. They belong to the `fleet`
category (`intervention_…`): interventions are the fleet module's, next to meter readings."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urljoin

import asyncpg

from services.notifications.formatting import PRIORITY_LABELS
from services.notifications.mailer import Mailer
from services.tickets import events as tickets_events
from services.tickets.domain_types import InterventionStatus
from shared.consumer import Handler, ReceivedEvent


class InterventionEmails:
    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer
        self.portal_url = str(mailer.settings.public_url)

    def intervention_url(self, intervention_id: uuid.UUID) -> str:
        return urljoin(self.portal_url, f"interventions/{intervention_id}")

    async def _to_requester(
        self,
        connection: asyncpg.Connection,
        received: ReceivedEvent,
        template: str,
        values: dict[str, Any],
    ) -> None:
        event = received.event
        assert isinstance(
            event, tickets_events.InterventionRequested | tickets_events.ToldToRequester
        )
        await self.mailer.send_to_address(
            connection,
            event_id=received.envelope.id,
            to=str(event.requester_email),
            user_id=event.requested_by,
            template=template,
            values={
                "number": event.number,
                "serial_number": event.serial_number,
                "model_name": event.model_name,
                "intervention_url": self.intervention_url(event.intervention_id),
                **values,
            },
            organisation_id=event.organisation_id,
        )

    async def requested(self, connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        event = received.event
        assert isinstance(event, tickets_events.InterventionRequested)
        await self._to_requester(
            connection,
            received,
            "intervention_requested",
            {
                "site_name": event.site_name,
                "location": event.location,
                # Each template picks its language's label (the vendor's own words).
                "nature_labels": event.nature_labels,
                "nature": event.nature,
                "urgency_labels": {
                    language: labels[event.urgency.value]
                    for language, labels in PRIORITY_LABELS.items()
                },
                "error_code": event.error_code,
                "details": event.details,
                "covered": event.covered,
            },
        )

    async def scheduled(self, connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        event = received.event
        assert isinstance(event, tickets_events.InterventionScheduled)
        await self._to_requester(
            connection,
            received,
            "intervention_scheduled",
            {
                "scheduled_for": event.scheduled_for.isoformat(),
                "technician": event.technician,
                "rescheduled": event.from_status is InterventionStatus.SCHEDULED,
            },
        )

    async def cancelled(self, connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        event = received.event
        assert isinstance(event, tickets_events.InterventionCancelled)
        await self._to_requester(
            connection,
            received,
            "intervention_cancelled",
            {"comment": event.comment, "by_vendor": event.by_vendor},
        )


def intervention_handlers(mailer: Mailer) -> dict[str, Handler]:
    """Handlers of tickets' topic (one subscription per topic: tickets' adds these)."""
    emails = InterventionEmails(mailer)
    return {
        tickets_events.InterventionRequested.type: emails.requested,
        tickets_events.InterventionScheduled.type: emails.scheduled,
        tickets_events.InterventionCancelled.type: emails.cancelled,
    }
