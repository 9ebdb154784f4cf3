"""Event types and versions are a public contract; old versions are upcast."""

from __future__ import annotations

from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.events import DomainEvent, EventRegistry, UnknownEventType


def make_registry() -> tuple[EventRegistry, type[DomainEvent]]:
    registry = EventRegistry(source="test")

    @registry.register
    class Renamed(DomainEvent):
        type: ClassVar[str] = "guichet.test.Renamed"
        version: ClassVar[int] = 3

        full_name: str
        reason: str

    @registry.upcaster("guichet.test.Renamed", 1)
    def v1_to_v2(data: dict) -> dict:
        return {"full_name": f"{data['first']} {data['last']}"}

    @registry.upcaster("guichet.test.Renamed", 2)
    def v2_to_v3(data: dict) -> dict:
        return {**data, "reason": "unknown"}

    return registry, Renamed


def test_an_old_version_is_upcast_step_by_step_to_the_current_class() -> None:
    registry, renamed = make_registry()
    event = registry.decode("guichet.test.Renamed", 1, {"first": "Ada", "last": "Lovelace"})
    assert event == renamed(full_name="Ada Lovelace", reason="unknown")


def test_the_current_version_is_read_as_is_and_unknown_fields_are_ignored() -> None:
    registry, renamed = make_registry()
    data = {"full_name": "Grace Hopper", "reason": "marriage", "added_later": True}
    assert registry.decode("guichet.test.Renamed", 3, data) == renamed(
        full_name="Grace Hopper", reason="marriage"
    )


def test_an_unknown_type_or_a_missing_upcaster_is_named() -> None:
    registry, _ = make_registry()
    with pytest.raises(UnknownEventType, match=r"guichet\.test\.Nope"):
        registry.decode("guichet.test.Nope", 1, {})
    registry._upcasters.pop(("guichet.test.Renamed", 2))
    with pytest.raises(UnknownEventType, match="no upcaster to v3"):
        registry.decode("guichet.test.Renamed", 2, {"full_name": "x"})


def test_a_type_string_must_be_declared_and_cannot_be_taken_twice() -> None:
    registry, _ = make_registry()

    class Unnamed(DomainEvent):
        pass

    with pytest.raises(TypeError, match="must declare"):
        registry.register(Unnamed)

    class Impostor(DomainEvent):
        type: ClassVar[str] = "guichet.test.Renamed"

    with pytest.raises(ValueError, match="already"):
        registry.register(Impostor)


def test_events_are_immutable() -> None:
    _, renamed = make_registry()
    event = renamed(full_name="A", reason="b")
    with pytest.raises(Exception, match="frozen"):
        event.full_name = "B"  # type: ignore[misc]


@given(full_name=st.text(), reason=st.text())
def test_encoding_then_decoding_gives_the_same_event(full_name: str, reason: str) -> None:
    registry, renamed = make_registry()
    event = renamed(full_name=full_name, reason=reason)
    assert registry.decode(event.type, event.version, registry.encode(event)) == event
