"""The ticket aggregate: state folded from events, commands that check invariants. No I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.tickets.domain_types import Priority, TicketStatus
from services.tickets.events import TicketOpened
from shared.aggregate import Aggregate
from shared.events import DomainEvent


class TicketRuleBroken(ValueError):
    """A command the ticket's current state does not allow."""


@dataclass
class Ticket(Aggregate):
    ticket_id: uuid.UUID
    version: int = 0
    status: TicketStatus | None = None
    priority: Priority | None = None
    requester_email: str | None = None

    STREAM_TYPE = "ticket"

    def apply(self, event: DomainEvent) -> None:
        match event:
            case TicketOpened():
                self.status = TicketStatus.NEW
                self.priority = event.priority
                self.requester_email = event.requester_email
        self.version += 1

    def open(
        self,
        *,
        number: int,
        title: str,
        description: str,
        priority: Priority,
        requester_email: str,
    ) -> list[DomainEvent]:
        if self.version:
            raise TicketRuleBroken("this ticket is already open")
        return [
            TicketOpened(
                ticket_id=self.ticket_id,
                number=number,
                title=title,
                description=description,
                priority=priority,
                requester_email=requester_email,
            )
        ]
