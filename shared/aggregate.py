"""What every event-sourced aggregate shares: being folded from its history."""

from __future__ import annotations

import uuid
from typing import ClassVar, Self

from shared.events import DomainEvent


class Aggregate:
    """Base of a service's aggregates (dataclasses whose first field is the id): state is the
    fold of `apply` over the stream's events; `version` counts them."""

    STREAM_TYPE: ClassVar[str]  # stored with every event of the aggregate's streams
    version: int

    def __init__(self, aggregate_id: uuid.UUID) -> None:  # pragma: no cover - dataclasses'
        raise NotImplementedError

    @classmethod
    def from_history(cls, aggregate_id: uuid.UUID, events: list[DomainEvent]) -> Self:
        aggregate = cls(aggregate_id)
        for event in events:
            aggregate.apply(event)
        return aggregate

    def apply(self, event: DomainEvent) -> None:
        raise NotImplementedError
