"""Domain events as a public contract: a stable `type` string, a `version`, and upcasters.

A service declares its events in its own `events.py` and registers them in its registry.
The `type` is written by hand, never derived from a class or module name, so renaming code
never renames a published fact. Old stored versions are upcast, one version at a time, to
the class the code knows today.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

JsonObject = dict[str, Any]
Upcaster = Callable[[JsonObject], JsonObject]


class DomainEvent(BaseModel):
    """A fact that happened. Frozen; unknown fields are ignored so newer producers stay readable."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: ClassVar[str]
    version: ClassVar[int] = 1


EventT = TypeVar("EventT", bound=type[DomainEvent])


class UnknownEventType(LookupError):
    """A stored or received event whose type this registry does not know."""


class EventRegistry:
    """Maps stable type strings to event classes, and old versions to the current one."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._classes: dict[str, type[DomainEvent]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, event_class: EventT) -> EventT:
        """Class decorator: make the event known under its `type`."""
        event_type = event_class.__dict__.get("type")
        if not isinstance(event_type, str) or not event_type:
            raise TypeError(f"{event_class.__name__} must declare its own `type: ClassVar[str]`")
        known = self._classes.get(event_type)
        if known is not None and known is not event_class:
            raise ValueError(f"event type {event_type!r} is already {known.__name__}")
        self._classes[event_type] = event_class
        return event_class

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator: a function turning `from_version` data into `from_version + 1` data."""

        def decorate(function: Upcaster) -> Upcaster:
            self._upcasters[(event_type, from_version)] = function
            return function

        return decorate

    def knows(self, event_type: str) -> bool:
        return event_type in self._classes

    def types(self) -> dict[str, type[DomainEvent]]:
        return dict(self._classes)

    def decode(self, event_type: str, version: int, data: JsonObject) -> DomainEvent:
        """Build today's event object from data stored or received at any version."""
        event_class = self._classes.get(event_type)
        if event_class is None:
            raise UnknownEventType(event_type)
        while version < event_class.version:
            upcast = self._upcasters.get((event_type, version))
            if upcast is None:
                raise UnknownEventType(f"{event_type} v{version}: no upcaster to v{version + 1}")
            data = upcast(data)
            version += 1
        return event_class.model_validate(data)

    @staticmethod
    def encode(event: DomainEvent) -> JsonObject:
        return event.model_dump(mode="json")
