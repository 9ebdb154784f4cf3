"""What the fleet's aggregates refuse, in words an API can pass on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.fleet.domain_types import Counter


class FleetRuleBroken(ValueError):
    """A command the current state does not allow (answered 409)."""


class InvalidField(ValueError):
    """A value the domain refuses for one field of the command (answered 422 on `field`)."""

    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


@dataclass(frozen=True)
class LowerCounter:
    counter: Counter
    value: int
    last_value: int


class ReadingLowerThanLast(ValueError):
    """Meters only go up: a reading lower than the last accepted one is refused, naming each
    counter, the value given and the last accepted value (answered 422)."""

    def __init__(self, lower: tuple[LowerCounter, ...], last_read_on: dt.date | None) -> None:
        names = ", ".join(
            f"{item.counter.value} {item.value} < {item.last_value}" for item in lower
        )
        super().__init__(f"lower than the last accepted reading: {names}")
        self.lower = lower
        self.last_read_on = last_read_on
