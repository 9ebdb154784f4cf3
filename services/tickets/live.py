"""Live updates: every replica reads the tickets topic from its end (no consumer group: each
replica needs every event) and hands each event to the open streams that may see it.

Fed from the published event stream, so what a page shows live is what other services see,
after it committed. Scoping: a customer's stream gets only their organisation's events, and
never an InternalNoteAdded; vendor staff get every event.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from services.tickets.events import (
    InternalNoteAdded,
    InterventionCancelled,
    InterventionCompleted,
    InterventionRequested,
    InterventionScheduled,
    InterventionStarted,
)
from shared.cloudevents import CloudEvent
from shared.kafka import ensure_topics

log = structlog.get_logger(__name__)
# A stream that falls this far behind is closed; the browser's EventSource reconnects.
QUEUE_SIZE = 256
STAFF_ONLY = frozenset({InternalNoteAdded.type})
# The stream is the tickets module's: interventions (the fleet module's) are not on it.
NOT_TICKETS = frozenset(
    event.type
    for event in (
        InterventionRequested,
        InterventionScheduled,
        InterventionStarted,
        InterventionCompleted,
        InterventionCancelled,
    )
)


@dataclass(eq=False)
class Listener:
    organisation_id: uuid.UUID | None
    """None: vendor staff, who see every organisation."""
    ticket_id: uuid.UUID | None = None
    queue: asyncio.Queue[CloudEvent | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE)
    )

    def wants(self, event: CloudEvent) -> bool:
        if event.type in NOT_TICKETS:
            return False
        if self.ticket_id is not None and event.subject != str(self.ticket_id):
            return False
        if self.organisation_id is None:
            return True
        return event.type not in STAFF_ONLY and event.organisationid == str(self.organisation_id)


class LiveFeed:
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        *,
        partitions: int,
        replication_factor: int,
        fetch_max_wait_ms: int,
    ) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.partitions = partitions
        self.replication_factor = replication_factor
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.listeners: set[Listener] = set()
        self.ready = asyncio.Event()

    @contextlib.asynccontextmanager
    async def listen(
        self, organisation_id: uuid.UUID | None, ticket_id: uuid.UUID | None = None
    ) -> AsyncIterator[Listener]:
        listener = Listener(organisation_id, ticket_id)
        self.listeners.add(listener)
        try:
            yield listener
        finally:
            self.listeners.discard(listener)

    def _deliver(self, event: CloudEvent) -> None:
        for listener in list(self.listeners):
            if not listener.wants(event):
                continue
            try:
                listener.queue.put_nowait(event)
            except asyncio.QueueFull:
                self.listeners.discard(listener)
                with contextlib.suppress(asyncio.QueueFull):
                    listener.queue.get_nowait()
                    listener.queue.put_nowait(None)  # tells the stream to end

    async def run(self) -> None:
        """Read until cancelled, surviving lost connections to the broker."""
        await ensure_topics(self.bootstrap, {self.topic: self.partitions}, self.replication_factor)
        while True:
            try:
                await self._read()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live feed lost the broker; reconnecting", exc_info=True)
                self.ready.clear()
                await asyncio.sleep(1.0)

    async def _read(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            fetch_max_wait_ms=self.fetch_max_wait_ms,
        )
        await consumer.start()
        try:
            partitions = consumer.partitions_for_topic(self.topic)
            while not partitions:
                await consumer._client.force_metadata_update()  # aiokafka: no public way
                partitions = consumer.partitions_for_topic(self.topic)
                if not partitions:
                    await asyncio.sleep(0.2)
            assignment = [TopicPartition(self.topic, p) for p in sorted(partitions)]
            consumer.assign(assignment)
            await consumer.seek_to_end(*assignment)
            for partition in assignment:  # fix the start now, before anyone waits on ready
                await consumer.position(partition)
            self.ready.set()
            while True:
                batch = await consumer.getmany(timeout_ms=1000)
                for records in batch.values():
                    for record in records:
                        self._handle(record.value)
        finally:
            await consumer.stop()

    def _handle(self, value: bytes | None) -> None:
        if value is None:
            return
        try:
            event = CloudEvent.from_kafka_value(value)
        except ValidationError:
            log.warning("live feed skipped a record that is not a CloudEvent")
            return
        self._deliver(event)
