"""A small event vocabulary for testing the kit on its own."""

from __future__ import annotations

import uuid
from typing import ClassVar

import asyncpg

from shared.events import DomainEvent, EventRegistry
from shared.eventstore import EventContext, EventStore, RecordedEvent

registry = EventRegistry(source="sample")


@registry.register
class ThingHappened(DomainEvent):
    type: ClassVar[str] = "guichet.sample.ThingHappened"
    version: ClassVar[int] = 1

    name: str
    size: int = 0


@registry.register
class ThingMeasured(DomainEvent):
    """At version 1 it carried `label` and no size; version 2 renamed it and added `size`."""

    type: ClassVar[str] = "guichet.sample.ThingMeasured"
    version: ClassVar[int] = 2

    name: str
    size: int


@registry.upcaster(ThingMeasured.type, 1)
def _measured_v1_to_v2(data: dict) -> dict:
    return {"name": data["label"], "size": 0}


async def append_things(
    pool: asyncpg.Pool,
    store: EventStore,
    stream: str,
    expected: int,
    *names: str,
    context: EventContext | None = None,
) -> list[RecordedEvent]:
    """Append one ThingHappened per name to `stream`, in a transaction of its own."""
    async with pool.acquire() as connection, connection.transaction():
        return await store.append(
            connection,
            stream_id=stream,
            stream_type="thing",
            expected_version=expected,
            events=[ThingHappened(name=name) for name in names],
            context=context or EventContext.new(organisation_id=uuid.uuid4()),
        )
