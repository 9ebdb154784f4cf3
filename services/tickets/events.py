"""The tickets service's published events: a public contract (see docs/events.md)."""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import EmailStr

from services.tickets.domain_types import Priority
from shared.events import DomainEvent, EventRegistry

registry = EventRegistry(source="tickets")


@registry.register
class TicketOpened(DomainEvent):
    """A customer opened a support ticket."""

    type: ClassVar[str] = "guichet.tickets.TicketOpened"
    version: ClassVar[int] = 1

    ticket_id: uuid.UUID
    number: int
    title: str
    description: str
    priority: Priority
    requester_email: EmailStr
