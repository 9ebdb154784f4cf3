"""A small event vocabulary for testing the kit on its own."""

from __future__ import annotations

from typing import ClassVar

from shared.events import DomainEvent, EventRegistry

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
