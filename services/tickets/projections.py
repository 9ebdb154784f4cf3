"""Read models, updated in the same transaction as the events they come from."""

from __future__ import annotations

import asyncpg

from services.tickets.domain_types import TicketStatus
from services.tickets.events import TicketOpened
from shared.eventstore import EventStore, RecordedEvent


async def project(
    connection: asyncpg.Connection, store: EventStore, recorded: list[RecordedEvent]
) -> None:
    for record in recorded:
        event = store.decode(record)
        match event:
            case TicketOpened():
                await connection.execute(
                    "INSERT INTO tickets (ticket_id, organisation_id, number, title, description,"
                    " priority, status, requester_email, opened_at, updated_at, version)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)",
                    event.ticket_id,
                    record.organisation_id,
                    event.number,
                    event.title,
                    event.description,
                    event.priority.value,
                    TicketStatus.NEW.value,
                    event.requester_email,
                    record.recorded_at,
                    record.version,
                )
