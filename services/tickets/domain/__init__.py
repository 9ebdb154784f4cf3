"""The tickets domain: pure code, no I/O."""

from services.tickets.domain.errors import IllegalTransition, TicketRuleBroken
from services.tickets.domain.intervention import (
    INTERVENTION_TRANSITIONS,
    Intervention,
    NewIntervention,
    RequestedOn,
)
from services.tickets.domain.state_machine import TRANSITIONS, allowed_from
from services.tickets.domain.ticket import NewTicket, Ticket

__all__ = [
    "INTERVENTION_TRANSITIONS",
    "TRANSITIONS",
    "IllegalTransition",
    "Intervention",
    "NewIntervention",
    "NewTicket",
    "RequestedOn",
    "Ticket",
    "TicketRuleBroken",
    "allowed_from",
]
