"""The ticket's life, as one explicit table (docs/api.md draws it).

new → open → in progress ⇄ waiting for customer → resolved → closed. A ticket may be marked
resolved from any active status (the customer's problem may go away before anyone looks); a
resolved ticket may be reopened until it is closed; closed is final (duplicate it instead).
"""

from __future__ import annotations

from types import MappingProxyType

from services.tickets.domain_types import TicketStatus as S

TRANSITIONS: MappingProxyType[S, tuple[S, ...]] = MappingProxyType(
    {
        S.NEW: (S.OPEN, S.RESOLVED),
        S.OPEN: (S.IN_PROGRESS, S.RESOLVED),
        S.IN_PROGRESS: (S.WAITING_FOR_CUSTOMER, S.RESOLVED),
        S.WAITING_FOR_CUSTOMER: (S.IN_PROGRESS, S.RESOLVED),
        S.RESOLVED: (S.CLOSED, S.OPEN),
        S.CLOSED: (),
    }
)


def allowed_from(status: S) -> tuple[S, ...]:
    return TRANSITIONS[status]
