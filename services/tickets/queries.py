"""Questions answered from the read models, always within one organisation."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
from pydantic import BaseModel

from services.tickets.domain_types import Priority, TicketStatus


class TicketView(BaseModel):
    ticket_id: uuid.UUID
    number: int
    title: str
    description: str
    priority: Priority
    status: TicketStatus
    requester_email: str
    opened_at: datetime
    updated_at: datetime


async def ticket_of_organisation(
    connection: asyncpg.Connection | asyncpg.Pool,
    organisation_id: uuid.UUID,
    ticket_id: uuid.UUID,
) -> TicketView | None:
    row = await connection.fetchrow(
        "SELECT ticket_id, number, title, description, priority, status, requester_email,"
        " opened_at, updated_at FROM tickets WHERE organisation_id = $1 AND ticket_id = $2",
        organisation_id,
        ticket_id,
    )
    return TicketView.model_validate(dict(row)) if row else None
