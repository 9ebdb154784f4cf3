"""The tickets domain: pure code, no I/O."""

from services.tickets.domain.errors import IllegalTransition, TicketRuleBroken
from services.tickets.domain.state_machine import TRANSITIONS, allowed_from
from services.tickets.domain.ticket import NewTicket, Ticket

__all__ = [
    "TRANSITIONS",
    "IllegalTransition",
    "NewTicket",
    "Ticket",
    "TicketRuleBroken",
    "allowed_from",
]
