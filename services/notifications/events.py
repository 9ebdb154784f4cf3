"""The notifications service's published events. It publishes none yet: deliveries are
recorded in its own tables; the event types come with the delivery log."""

from __future__ import annotations

from shared.events import EventRegistry

registry = EventRegistry(source="notifications")
