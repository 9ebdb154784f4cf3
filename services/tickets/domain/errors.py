"""What a ticket or an intervention refuses, in words an API can pass on."""

from __future__ import annotations

from enum import StrEnum


class TicketRuleBroken(ValueError):
    """A command the ticket's (or intervention's) current state does not allow (409)."""


class IllegalTransition(TicketRuleBroken):
    """A status change the state machine does not have from the current status."""

    def __init__(
        self,
        current: StrEnum,
        target: StrEnum,
        allowed: tuple[StrEnum, ...],
        what: str = "ticket",
    ) -> None:
        names = ", ".join(status.value for status in allowed) or (
            f"none: the {what} is {current.value}"
        )
        article = "an" if what[0] in "aeiou" else "a"
        super().__init__(
            f"{article} {what} that is {current.value} cannot become {target.value};"
            f" allowed: {names}"
        )
        self.current = current
        self.target = target
        self.allowed = allowed
