"""How identity's aggregates refuse a command."""

from __future__ import annotations


class RuleBroken(ValueError):
    """A command the aggregate's current state does not allow (answered 409)."""


class InvalidCommand(ValueError):
    """A command whose content is wrong whatever the state (answered 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
