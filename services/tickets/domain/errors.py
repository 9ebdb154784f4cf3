"""What a ticket refuses, in words an API can pass on."""

from __future__ import annotations

from services.tickets.domain_types import TicketStatus


class TicketRuleBroken(ValueError):
    """A command the ticket's current state does not allow (answered 409)."""


class IllegalTransition(TicketRuleBroken):
    """A status change the state machine does not have from the current status."""

    def __init__(
        self, current: TicketStatus, target: TicketStatus, allowed: tuple[TicketStatus, ...]
    ) -> None:
        names = ", ".join(status.value for status in allowed) or "none: the ticket is closed"
        super().__init__(
            f"a ticket that is {current.value} cannot become {target.value}; allowed: {names}"
        )
        self.current = current
        self.target = target
        self.allowed = allowed
