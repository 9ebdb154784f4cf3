"""The outbox relay: publishes committed events to Kafka, in order, without losing any.

- One relay is active per service: it holds a PostgreSQL advisory lock; standby replicas
  wait for it and take over when its session ends.
- It reads what is still in the outbox, in position order, so an event whose transaction
  committed after a later-numbered one is simply found on the next pass (the bigserial gap
  trap cannot skip it: nothing is tracked by "last position seen").
- It publishes with acks="all", awaits every acknowledgement, and only then deletes the
  outbox rows, in the same transaction that records where each partition now ends.
- Before every batch, and every few seconds when idle, it checks that the broker still
  holds the last event it acknowledged on each partition. If not (a fresh in-memory broker,
  a recreated topic), the broker lost events: the relay queues the whole event store again
  and republishes it in order, before anything newer. Consumers deduplicate by event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import RecordMetadata

from shared.broker_audit import new_audit_consumer, partitions_behind
from shared.cloudevents import CloudEvent
from shared.db import checked_schema, connect
from shared.eventstore import EVENT_COLUMNS, RecordedEvent
from shared.kafka import ensure_topics, event_source, new_producer, service_topic
from shared.metrics import OUTBOX_BACKLOG, RELAY_BROKER_DATA_LOSS, RELAY_PUBLISHED
from shared.wakeup import Wakeup, outbox_channel

log = structlog.get_logger(__name__)

_PENDING = (
    f"SELECT {', '.join('e.' + c.strip() for c in EVENT_COLUMNS.split(','))}"
    " FROM outbox o JOIN events e USING (position) ORDER BY o.position LIMIT $1"
)


@dataclass(frozen=True)
class RelayConfig:
    database_url: str
    schema: str
    service: str
    kafka_bootstrap: str
    kafka_namespace: str = "guichet"
    partitions: int = 3
    replication_factor: int = 1
    batch_size: int = 500
    poll_interval: float = 0.2
    busy_poll_interval: float = 0.02
    """While events flow, look again this soon: a writer skips the wake-up when the outbox
    already has work, and may commit just after the relay's last look."""
    busy_for: float = 1.0
    broker_check_interval: float = 2.0
    standby_retry: float = 2.0


class BrokerLostData(Exception):
    """The broker no longer holds events it acknowledged."""


class BrokerUnverified(Exception):
    """Whether the broker still holds what it acknowledged could not be checked in time."""


AUDIT_DEADLINE = 5.0
CLIENT_STOP_TIMEOUT = 5.0


class OutboxRelay:
    def __init__(self, config: RelayConfig) -> None:
        self.config = config
        self.schema = checked_schema(config.schema)
        self.topic = service_topic(config.kafka_namespace, config.service)
        self.source = event_source(config.service)
        self.wakeup = Wakeup(outbox_channel(self.schema), config.poll_interval)
        self.is_leader = False
        self._expected_next: dict[int, int] = {}

    async def run(self) -> None:
        """Relay until cancelled, surviving lost connections to PostgreSQL or Kafka."""
        while True:
            try:
                await self._run_while_leader()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("relay stopped; restarting", topic=self.topic)
            finally:
                self.is_leader = False
            await asyncio.sleep(self.config.standby_retry)

    async def _run_while_leader(self) -> None:
        connection = await connect(self.config.database_url, self.schema)
        try:
            # Standby: poll for the lock rather than block in pg_advisory_lock, so that a
            # cancelled relay (shutdown) is not stuck inside a server-side wait.
            while not await connection.fetchval(  # noqa: ASYNC110
                "SELECT pg_try_advisory_lock(hashtext('guichet.relay.' || $1))", self.schema
            ):
                await asyncio.sleep(self.config.standby_retry)
            self.is_leader = True
            log.info("relay is active", topic=self.topic)
            await self.wakeup.listen(connection)
            await self._ensure_topic()
            producer = new_producer(self.config.kafka_bootstrap, f"{self.config.service}-relay")
            audit = new_audit_consumer(
                self.config.kafka_bootstrap, f"{self.config.service}-relay-audit"
            )
            try:
                await producer.start()
                await audit.start()
                await self._relay(connection, producer, audit)
            finally:
                # Bounded: a client wedged by a broker restart must not wedge the relay.
                for client in (producer, audit):
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(client.stop(), CLIENT_STOP_TIMEOUT)
        finally:
            with contextlib.suppress(Exception):
                await connection.close()

    async def _relay(
        self,
        connection: asyncpg.Connection,
        producer: AIOKafkaProducer,
        audit: AIOKafkaConsumer,
    ) -> None:
        self._expected_next = dict(
            await connection.fetch(
                "SELECT partition, next_offset FROM relay_offsets WHERE topic = $1", self.topic
            )
        )
        last_audit = last_published = -float("inf")
        while True:
            rows = await connection.fetch(_PENDING, self.config.batch_size)
            # Before every batch, and regularly when idle: does the broker still hold what it
            # acknowledged? Publishing into a broker that lost data would put new events
            # ahead of older ones that consumers never received.
            if rows or time.monotonic() - last_audit >= self.config.broker_check_interval:
                last_audit = time.monotonic()
                if await self._broker_lost_data(audit):
                    await self._requeue_everything(connection)
                    continue
            if rows:
                try:
                    await self._publish(connection, producer, rows)
                except BrokerLostData:
                    await self._requeue_everything(connection)
                    continue
                last_published = time.monotonic()
            if len(rows) < self.config.batch_size:
                OUTBOX_BACKLOG.set(await connection.fetchval("SELECT count(*) FROM outbox"))
                if not rows:
                    busy = time.monotonic() - last_published < self.config.busy_for
                    await self.wakeup.wait(
                        self.config.busy_poll_interval
                        if busy
                        else min(self.config.poll_interval, self.config.broker_check_interval)
                    )

    async def _publish(
        self,
        connection: asyncpg.Connection,
        producer: AIOKafkaProducer,
        rows: list[asyncpg.Record],
    ) -> None:
        """Send the batch, await every acknowledgement, then delete what Kafka has."""
        recorded = [RecordedEvent.from_row(row) for row in rows]
        sends = []
        for event in recorded:
            envelope = CloudEvent.from_recorded(event, self.source)
            sends.append(
                await producer.send(
                    self.topic,
                    value=envelope.kafka_value(),
                    key=envelope.kafka_key(),
                    headers=envelope.kafka_headers(),
                )
            )
        results = await asyncio.gather(*sends, return_exceptions=True)
        # Only the prefix acknowledged without error counts as sent; the rest is sent again.
        acknowledged: list[tuple[int, RecordMetadata]] = []
        for event, result in zip(recorded, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("publish failed", position=event.position, error=repr(result))
                break
            acknowledged.append((event.position, result))
        reached: dict[int, int] = {}
        for _, metadata in acknowledged:
            if metadata.offset < self._expected_next.get(metadata.partition, 0):
                raise BrokerLostData(f"{self.topic}[{metadata.partition}] offset went back")
            reached[metadata.partition] = max(
                reached.get(metadata.partition, 0), metadata.offset + 1
            )
        async with connection.transaction():
            await connection.execute(
                "DELETE FROM outbox WHERE position = ANY($1::bigint[])",
                [position for position, _ in acknowledged],
            )
            await connection.executemany(
                "INSERT INTO relay_offsets (topic, partition, next_offset) VALUES ($1, $2, $3)"
                " ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset",
                [(self.topic, partition, offset) for partition, offset in reached.items()],
            )
        self._expected_next.update(reached)
        RELAY_PUBLISHED.inc(len(acknowledged))
        if len(acknowledged) < len(recorded):
            raise ConnectionError("Kafka did not acknowledge every event of the batch")

    async def _broker_lost_data(self, audit: AIOKafkaConsumer) -> bool:
        if not self._expected_next:
            return False
        try:
            behind = await asyncio.wait_for(
                partitions_behind(audit, self.topic, self._expected_next), AUDIT_DEADLINE
            )
        except TimeoutError:
            # A client caught mid-request by a broker restart can stay wedged. Publishing
            # unverified could put new events ahead of lost ones: start again, fresh clients.
            raise BrokerUnverified(
                f"could not check {self.topic} within {AUDIT_DEADLINE}s"
            ) from None
        if behind:
            log.warning(
                "broker lost acknowledged events",
                topic=self.topic,
                broker_high_watermarks=behind,
                expected=self._expected_next,
            )
        return bool(behind)

    async def _ensure_topic(self) -> None:
        await ensure_topics(
            self.config.kafka_bootstrap,
            {self.topic: self.config.partitions},
            self.config.replication_factor,
        )

    async def _requeue_everything(self, connection: asyncpg.Connection) -> None:
        RELAY_BROKER_DATA_LOSS.inc()
        async with connection.transaction():
            queued = await connection.execute(
                "INSERT INTO outbox (position) SELECT position FROM events"
                " ON CONFLICT (position) DO NOTHING"
            )
            await connection.execute("DELETE FROM relay_offsets WHERE topic = $1", self.topic)
        self._expected_next = {}
        await self._ensure_topic()
        log.warning("republishing the event store", topic=self.topic, queued=queued)
