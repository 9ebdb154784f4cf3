"""One function per command: load, decide, append with the expected version, project."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from services.tickets import projections
from services.tickets.domain import Ticket
from services.tickets.domain_types import Priority
from shared.eventstore import EventContext, EventStore


@dataclass(frozen=True)
class OpenTicket:
    title: str
    description: str
    priority: Priority
    requester_email: str


async def open_ticket(
    pool: asyncpg.Pool, store: EventStore, command: OpenTicket, context: EventContext
) -> uuid.UUID:
    ticket = Ticket(ticket_id=uuid.uuid4())
    async with pool.acquire() as connection, connection.transaction():
        number = await connection.fetchval("SELECT nextval('ticket_number')")
        events = ticket.open(
            number=number,
            title=command.title,
            description=command.description,
            priority=command.priority,
            requester_email=command.requester_email,
        )
        recorded = await store.append(
            connection,
            stream_id=str(ticket.ticket_id),
            stream_type=Ticket.STREAM_TYPE,
            expected_version=ticket.version,
            events=events,
            context=context,
        )
        await projections.project(connection, store, recorded)
    return ticket.ticket_id
