"""Tickets and interventions join their asset's history: fleet subscribes to tickets' events
and adds each intervention event, and each ticket opened about an asset, as an entry of the
asset's timeline (`timeline.add_entry`, keyed by the CloudEvent's id, so a redelivered event
adds nothing). These events name their asset and organisation: no lookup. The summary is what
a history line shows."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.fleet import timeline
from services.tickets import events as tickets
from shared.consumer import ReceivedEvent, Subscription
from shared.kafka import service_topic


def _summary(event: tickets.InterventionEvent) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "intervention_id": str(event.intervention_id),
        "number": event.number,
    }
    match event:
        case tickets.InterventionRequested():
            summary |= {
                "nature": event.nature,
                "nature_labels": event.nature_labels,
                "error_code": event.error_code,
                "urgency": event.urgency.value,
                "covered": event.covered,
            }
        case tickets.InterventionScheduled():
            summary |= {
                "scheduled_for": event.scheduled_for.isoformat(),
                "technician": event.technician,
            }
        case tickets.InterventionCompleted():
            summary |= {"report": event.report}
        case tickets.InterventionCancelled():
            summary |= {"comment": event.comment}
    return summary


async def _add(
    connection: asyncpg.Connection,
    received: ReceivedEvent,
    asset_id: uuid.UUID,
    organisation_id: uuid.UUID,
    summary: dict[str, Any],
) -> None:
    await timeline.add_entry(
        connection,
        event_id=uuid.UUID(received.envelope.id),
        asset_id=asset_id,
        organisation_id=organisation_id,
        occurred_at=received.envelope.time,
        source="tickets",
        kind=received.event.type.rpartition(".")[2],
        summary=summary,
    )


async def intervention_event(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, tickets.InterventionEvent)
    await _add(connection, received, event.asset_id, event.organisation_id, _summary(event))


async def ticket_opened(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, tickets.TicketOpened)
    if event.asset_id is None or event.organisation_id is None:
        return  # not about a machine
    summary = {
        "ticket_id": str(event.ticket_id),
        "number": event.number,
        "title": event.title,
        "ticket_type": event.ticket_type.value,
        "priority": event.priority.value,
    }
    await _add(connection, received, event.asset_id, event.organisation_id, summary)


def tickets_subscription(kafka_namespace: str) -> Subscription:
    return Subscription(
        topic=service_topic(kafka_namespace, "tickets"),
        registry=tickets.registry,
        handlers={
            tickets.TicketOpened.type: ticket_opened,
            **{
                event.type: intervention_event
                for event in (
                    tickets.InterventionRequested,
                    tickets.InterventionScheduled,
                    tickets.InterventionStarted,
                    tickets.InterventionCompleted,
                    tickets.InterventionCancelled,
                )
            },
        },
    )
